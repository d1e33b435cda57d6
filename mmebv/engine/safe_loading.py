"""Read mmengine checkpoints with torch's safe loading, and nothing that could run code.

torch >= 2.6 loads with ``weights_only=True`` unless told otherwise, and mmengine 0.10.7 does not
pass the flag, so a full Runner checkpoint fails on the few non-tensor types mmengine stores: the
message hub's ``HistoryBuffer`` and the numpy values inside it. ``HistoryBuffer`` pickles its
statistics methods as ``getattr(HistoryBuffer, 'mean')``, so a plain allow-list would have to hold
``builtins.getattr``, and from there a crafted file walks to ``exec`` (``getattr(getattr,
'__self__')`` is the builtins module). This module never allow-lists ``getattr``: the name
``builtins.getattr`` is served by :func:`history_buffer_statistic`, which returns exactly
``HistoryBuffer.min/max/current/mean`` and refuses everything else.

The allow-list is registered only while :func:`load_checkpoint_file` reads a file (torch's
``safe_globals`` context); a caller of ``torch.load`` elsewhere in the process sees torch's own
list. ``mmebv.engine`` makes mmengine's local checkpoint loader (``CheckpointLoader`` scheme '',
used by ``load_from``, ``--resume``, ``load_checkpoint`` and ``init_cfg=dict(type='Pretrained')``)
call :func:`load_checkpoint_file`.
"""
import contextlib
import os.path as osp
import pickle
import threading
import zipfile
from typing import Any, Callable, Iterator, List, Optional, Union

import numpy as np
import torch
from mmengine.logging.history_buffer import HistoryBuffer

from mmebv.utils.bounded_loading import LoadBudgetError, torch_file_problem, walk_loaded

# HistoryBuffer's default statistics: the only attributes a checkpoint may name through getattr
STATISTICS = ('min', 'max', 'current', 'mean')
# what a HistoryBuffer's state may hold (mmengine 0.10: HistoryBuffer.__init__ and __getstate__)
HISTORY_BUFFER_STATE = {'max_length': int, '_log_history': np.ndarray, '_count_history': np.ndarray}
_LOCK = threading.RLock()


class CheckpointError(RuntimeError):
    """A checkpoint file that cannot be used: missing, truncated, corrupt, or refused as unsafe."""


def history_buffer_statistic(owner: Any, name: Any) -> Callable:
    """What a checkpoint gets for ``builtins.getattr``: one of HistoryBuffer's statistics methods.

    Args:
        owner: must be the ``HistoryBuffer`` class itself.
        name: one of :data:`STATISTICS`.

    Returns:
        The unbound method ``HistoryBuffer.<name>``.
    """
    if owner is HistoryBuffer and isinstance(name, str) and name in STATISTICS:
        return getattr(HistoryBuffer, name)
    what = owner.__name__ if isinstance(owner, type) else type(owner).__name__
    raise pickle.UnpicklingError(
        f'refused: the file asks for attribute {str(name)[:40]!r} of a {what}; a checkpoint may only name '
        f'HistoryBuffer.{"/".join(STATISTICS)} this way (anything else could run code)')


def mmengine_checkpoint_types() -> List[Union[Callable, tuple]]:
    """The globals an mmengine Runner checkpoint needs beyond tensors and plain Python.

    ``builtins.getattr`` is not among them: its name maps to :func:`history_buffer_statistic`.
    """
    multiarray = (getattr(np, '_core', None) or np.core).multiarray  # numpy 2 renamed core to _core
    types: List[Union[Callable, tuple]] = [
        HistoryBuffer, multiarray._reconstruct, multiarray.scalar, np.ndarray, np.dtype,
        (history_buffer_statistic, 'builtins.getattr'),
        # files written under numpy 1.x name numpy.core
        (multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
        (multiarray.scalar, 'numpy.core.multiarray.scalar')]
    types += [type(np.dtype(name)) for name in ('float64', 'float32', 'float16', 'int64', 'int32', 'uint8', 'bool')]
    return types


@contextlib.contextmanager
def mmengine_safe_globals() -> Iterator[None]:
    """Allow :func:`mmengine_checkpoint_types` for ``torch.load(weights_only=True)`` inside the block.

    On leaving, torch's list and HistoryBuffer's class-level statistics table are as they were
    (``HistoryBuffer.__setstate__`` writes a loaded table into the class).
    """
    if not hasattr(torch.serialization, 'safe_globals'):  # torch < 2.5
        raise CheckpointError(f'reading mmengine checkpoints safely needs torch >= 2.5 (torch.serialization.'
                              f'safe_globals); torch {torch.__version__} is installed: upgrade torch')
    with _LOCK:
        before = torch.serialization.get_safe_globals()
        statistics = dict(HistoryBuffer._statistics_methods)
        torch.serialization.add_safe_globals(mmengine_checkpoint_types())
        try:
            yield
        finally:
            torch.serialization.clear_safe_globals()
            torch.serialization.add_safe_globals(before)
            HistoryBuffer._statistics_methods.clear()
            HistoryBuffer._statistics_methods.update(statistics)
            for name in STATISTICS:
                HistoryBuffer._statistics_methods.setdefault(name, getattr(HistoryBuffer, name))


def _check_object(value: Any, path: str) -> None:
    """Refuse HistoryBuffers whose state holds anything but mmengine's own three fields.

    ``HistoryBuffer.__setstate__`` copies any key into the instance, so a file could plant
    attributes such as ``__reduce_ex__`` that ``copy.deepcopy`` (which mmengine runs on resume) calls.
    Called by :func:`_check_loaded` once for every object of the file, wherever it is hidden (in a
    container, a tensor's or an OrderedDict's ``__dict__``, a numpy object array or dtype metadata).
    """
    if type(value) is HistoryBuffer:
        state = vars(value)
        wrong = [key for key in state
                 if key not in HISTORY_BUFFER_STATE or not isinstance(state[key], HISTORY_BUFFER_STATE[key])]
        if wrong or set(state) != set(HISTORY_BUFFER_STATE):
            raise CheckpointError(
                f'{path} is refused: a HistoryBuffer in it carries fields {sorted(map(str, state))[:8]}, '
                f'not mmengine\'s {sorted(HISTORY_BUFFER_STATE)}; the file was crafted or damaged')
        for key in ('_log_history', '_count_history'):
            if state[key].dtype.hasobject:
                raise CheckpointError(f'{path} is refused: a HistoryBuffer in it holds Python objects, not numbers')


def _check_loaded(value: Any, path: str) -> None:
    """Check every object of a loaded checkpoint once (:func:`~mmebv.utils.bounded_loading.walk_loaded`:
    by identity, so shared objects cost their number, not their paths; cycles and tree blow-ups
    refused) with :func:`_check_object`."""
    try:
        walk_loaded(value, osp.getsize(path), check=lambda item: _check_object(item, path))
    except LoadBudgetError as error:
        raise CheckpointError(f'{path} is refused: {error}; not an mmengine checkpoint (crafted or damaged)') \
            from error


def _reason(error: Exception) -> str:
    """The line of torch's unpickling error that says what was refused."""
    text = str(error)
    if 'WeightsUnpickler error:' in text:
        text = text.split('WeightsUnpickler error:', 1)[1].split('Check the documentation', 1)[0]
    return ' '.join(text.split())[:400]


def load_checkpoint_file(path: str, map_location: Any = 'cpu', mmap: bool = False) -> Any:
    """``torch.load(path, weights_only=True)`` that also reads mmengine's own checkpoint types.

    Args:
        path (str): a local checkpoint file.
        map_location: as for ``torch.load``. Defaults to 'cpu'.
        mmap (bool): map the tensors' storage instead of reading it (zip checkpoints only). Defaults
            to False.

    Returns:
        What the file holds (for a Runner checkpoint: a dict with ``meta``, ``state_dict``,
        ``message_hub``, ``optimizer``, ``param_schedulers``).

    Raises:
        CheckpointError: the file is missing, empty, truncated or corrupt (the message names it and
            the reason), holds pickled objects that safe loading refuses, or would cost more than its
            bytes to load (compressed or oversized zip records, cyclic or exponentially shared
            objects, tensors claiming more than the file holds: the budget of
            :mod:`mmebv.utils.bounded_loading`), refused within that budget.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise CheckpointError(f'checkpoint {path!r} does not exist')
    if osp.getsize(path) == 0:
        raise CheckpointError(f'checkpoint {path} is empty (0 bytes): a save that was cut off')
    try:
        problem = torch_file_problem(path)  # before torch allocates what the file's records claim
        if problem:
            raise CheckpointError(f'{path} is refused before loading: {problem}; not a checkpoint torch.save '
                                  f'wrote (crafted or damaged)')
        with mmengine_safe_globals():
            checkpoint = torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except CheckpointError:
        raise
    except pickle.UnpicklingError as error:
        raise CheckpointError(
            f'{path} is refused by safe loading ({_reason(error)}). It holds pickled objects '
            'that are not tensors, plain Python or mmengine\'s own types. If you trust its source (unsafe loading '
            'runs its code), re-save its tensors and plain meta in Python: from mmebv.utils.publishing import '
            f'publish; publish(torch.load({path!r}, weights_only=False), \'clean.pth\')') from error
    except Exception as error:  # torch's unpickler raises IndexError, KeyError, ... on garbage
        lines = str(error).splitlines() or ['']
        raise CheckpointError(f'{path} is not a readable checkpoint (truncated or corrupt: '
                              f'{type(error).__name__}: {lines[0][:200]})') from error
    _check_loaded(checkpoint, path)
    return checkpoint


def verify_checkpoint(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or None when it reads completely and safely.

    A zip checkpoint's records are first checked against the file's size (uncompressed, as torch.save
    writes them: :func:`~mmebv.utils.bounded_loading.torch_file_problem`), then against their CRC-32
    (which reads the file once without holding it in memory), then its structure is loaded with the
    tensors memory-mapped. Never raises for what the file holds.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        return f'{path} does not exist'
    try:
        problem = torch_file_problem(path) if osp.getsize(path) else None
        if problem:  # before the CRC check, which would inflate a compressed record
            return f'{path} is refused before loading: {problem}; not a checkpoint torch.save wrote'
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
            if bad is not None:
                return f'{path} is corrupt (record {bad} fails its CRC check)'
            checkpoint = load_checkpoint_file(path, map_location='cpu', mmap=True)
        else:
            checkpoint = load_checkpoint_file(path, map_location='cpu')
    except CheckpointError as error:
        return str(error)
    except Exception as error:  # the CRC check on a damaged archive
        return (f'{path} is not a readable checkpoint (truncated or corrupt: {type(error).__name__}: '
                f'{str(error)[:200]})')
    if not isinstance(checkpoint, dict) or 'state_dict' not in checkpoint:
        return f'{path} holds no state_dict: not an mmengine training checkpoint'
    return None


def load_from_local_safely(filename: str, map_location: Any = None) -> Any:
    """mmengine ``CheckpointLoader`` scheme for local paths: :func:`load_checkpoint_file`."""
    return load_checkpoint_file(filename, map_location=map_location)


def use_safe_loading_in_mmengine() -> None:
    """Make mmengine read local checkpoints through :func:`load_checkpoint_file` (idempotent).

    This replaces mmengine's local loader (a plain ``torch.load``) for every local path; torch's own
    allow-list is left as it is.
    """
    from mmengine.runner.checkpoint import CheckpointLoader
    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local_safely, force=True)

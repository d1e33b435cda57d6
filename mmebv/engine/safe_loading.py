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


def _check_loaded(value: Any, path: str, depth: int = 0) -> None:
    """Refuse HistoryBuffers whose state holds anything but mmengine's own three fields.

    ``HistoryBuffer.__setstate__`` copies any key into the instance, so a file could plant
    attributes such as ``__reduce_ex__`` that ``copy.deepcopy`` (which mmengine runs on resume) calls.
    """
    if depth > 100:
        raise CheckpointError(f'{path} nests containers more than 100 deep: not an mmengine checkpoint')
    if isinstance(value, torch.Tensor) or isinstance(value, (str, bytes, int, float, bool, type(None))):
        return
    if isinstance(value, dict):
        for key, item in value.items():
            _check_loaded(key, path, depth + 1)
            _check_loaded(item, path, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            _check_loaded(item, path, depth + 1)
    elif isinstance(value, np.ndarray) and value.dtype.hasobject:
        for item in value.ravel().tolist():
            _check_loaded(item, path, depth + 1)
    elif type(value) is HistoryBuffer:
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
            the reason), or holds pickled objects that safe loading refuses.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise CheckpointError(f'checkpoint {path!r} does not exist')
    if osp.getsize(path) == 0:
        raise CheckpointError(f'checkpoint {path} is empty (0 bytes): a save that was cut off')
    try:
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
    except (RuntimeError, EOFError, OSError, ValueError, zipfile.BadZipFile) as error:
        raise CheckpointError(f'{path} is not a readable checkpoint (truncated or corrupt: '
                              f'{str(error).splitlines()[0][:200]})') from error
    _check_loaded(checkpoint, path)
    return checkpoint


def verify_checkpoint(path: str) -> Optional[str]:
    """Why ``path`` cannot be resumed from, or None when it reads completely and safely.

    A zip checkpoint's records are checked against their CRC-32 (which reads the file once without
    holding it in memory), then its structure is loaded with the tensors memory-mapped.
    """
    path = osp.expanduser(path)
    if not osp.isfile(path):
        return f'{path} does not exist'
    try:
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                bad = archive.testzip()
            if bad is not None:
                return f'{path} is corrupt (record {bad} fails its CRC check)'
            checkpoint = load_checkpoint_file(path, map_location='cpu', mmap=True)
        else:
            checkpoint = load_checkpoint_file(path, map_location='cpu')
    except (CheckpointError, zipfile.BadZipFile, OSError) as error:
        return str(error)
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

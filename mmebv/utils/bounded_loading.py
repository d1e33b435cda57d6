"""What reading a file may cost: checks made before ``torch.load`` allocates, and one walk over what it
loaded that visits every object once.

The loading budget, which every loader of mmebv keeps (checkpoints: ``mmebv.engine.safe_loading``;
basis files: ``mmebv.ebv.io``; the EBV authors' basis pickles: ``tools/model_converters/
ebv_official_pickle.py``), whatever the file's structure:

- **Nothing is allocated for a size the file only claims.** A torch zip checkpoint must hold its
  records as ``torch.save`` writes them, uncompressed (STORED), each within the file and all together
  at most the file's size (:func:`torch_file_problem`, read from the zip directory before
  ``torch.load``); a loaded tensor may not claim more elements than the file holds (a view that
  repeats its storage); the authors' pickles may use only the opcodes their format needs, and memo
  indices only in the order a pickler writes them.
- **Shared and cyclic object graphs cost their size, not their paths.** :func:`walk_loaded` visits
  each object once (by identity) and refuses a cycle, or a graph that would expand to more than
  :data:`MAX_TREE_OBJECTS` objects when something (``repr``, ``json``, a naive walk) visits it as a
  tree, such as ``L = [L, L]`` nested 60 times in 2 KB.
- Hence time and memory linear in the bytes actually present: the tensors the file holds (at most
  its size; nothing with ``mmap``) plus at most about 100 bytes per byte of pickle. Measured as
  :data:`LOAD_BUDGET_SECONDS` and :data:`LOAD_BUDGET_MIB` for any file of up to
  :data:`LOAD_BUDGET_FILE_MIB` (``tests/test_reliability/test_fuzz_loaders.py`` checks it on mutated
  real files).

Stdlib only at import; torch and numpy types are looked up when a loaded object is walked.
"""
import os.path as osp
import zipfile
from typing import Any, Callable, Iterable, Optional

# the budget of every loader for a file of up to LOAD_BUDGET_FILE_MIB, hostile or not (see above)
LOAD_BUDGET_FILE_MIB = 1
LOAD_BUDGET_SECONDS = 2.0
LOAD_BUDGET_MIB = 256
# objects a loaded file may expand to when walked as a tree (a real mmengine checkpoint of a large
# model with its optimizer state: about 10^5)
MAX_TREE_OBJECTS = 10_000_000
# the first bytes of a zip file: torch.load reads such a file as a zip archive, anything else as
# torch's legacy format
ZIP_MAGIC = b'PK\x03\x04'


class LoadBudgetError(ValueError):
    """A file whose structure would cost more to load than its bytes (each loader re-raises it as its
    own documented error type)."""


def torch_file_problem(path: str) -> Optional[str]:
    """Why ``torch.load`` could spend more than the size of ``path`` on it, or None.

    Reads the zip directory only (a file that does not start as a zip archive is torch's legacy
    format, which torch reads storage by storage against the bytes present).

    Args:
        path (str): a file for ``torch.load``.

    Returns:
        str or None: e.g. 'its record archive/data/0 is compressed (method 8); torch.save stores
        every record uncompressed'.

    Raises:
        zipfile.BadZipFile: a zip archive whose directory cannot be read (truncated or corrupt).
    """
    size = osp.getsize(path)
    with open(path, 'rb') as f:
        if f.read(4) != ZIP_MAGIC:
            return None
    with zipfile.ZipFile(path) as archive:  # a truncated or corrupt directory raises, as torch.load would
        records = archive.infolist()
    total = 0
    for record in records:
        name = record.filename[:80]
        if record.compress_type != zipfile.ZIP_STORED:
            return (f'its record {name} is compressed (method {record.compress_type}); torch.save stores every '
                    f'record uncompressed')
        if record.flag_bits & 0x1:
            return f'its record {name} is encrypted'
        if record.file_size != record.compress_size or record.header_offset + record.file_size > size:
            return (f'its record {name} claims {record.file_size} bytes where the file holds {size} in all '
                    f'(stored {record.compress_size} at offset {record.header_offset})')
        total += record.file_size
    if total > size:
        return f'its records claim {total} bytes in all where the file holds {size}'
    return None


def _children(value: Any, limit_bytes: int, types: dict) -> Iterable[Any]:
    """The objects ``value`` refers to that a loaded file can set, after checking ``value`` itself."""
    if isinstance(value, (str, bytes, bytearray, int, float, complex, type(None), type)):
        return ()
    torch, np = types['torch'], types['np']
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            found += (key, item)
    elif isinstance(value, (list, tuple, set, frozenset)):
        found += list(value)
    elif isinstance(value, torch.Tensor):
        claimed = value.numel() * value.element_size()
        if claimed > limit_bytes and claimed > value.untyped_storage().nbytes():
            raise LoadBudgetError(f'a tensor of shape {tuple(value.shape)[:8]} claims {claimed} bytes, more than the '
                                  f'file holds ({limit_bytes}): a view that repeats its storage')
    elif isinstance(value, np.ndarray):
        found.append(value.dtype)
        if value.dtype.hasobject:
            found += value.ravel().tolist()
    elif isinstance(value, np.generic):
        found.append(value.dtype)
    elif isinstance(value, np.dtype):
        if value.metadata:
            found += list(value.metadata.items())
        if value.fields:
            found += list(value.fields.values())
        if value.subdtype:
            found.append(value.subdtype[0])
    state = getattr(value, '__dict__', None)
    if isinstance(state, dict) and state:  # a tensor's, an OrderedDict's, a HistoryBuffer's attributes
        dunder = [key for key in state if not isinstance(key, str) or key.startswith('__')]
        if dunder:
            raise LoadBudgetError(f'a loaded {type(value).__name__} carries the attribute {str(dunder[0])[:40]!r}, '
                                  f'which could change how Python treats it (copy, pickle, repr)')
        found += list(state.values())
    return found


def walk_loaded(value: Any, limit_bytes: int, check: Optional[Callable[[Any], None]] = None,
                max_tree_objects: int = MAX_TREE_OBJECTS) -> int:
    """Visit every object of a loaded file once, checking each; refuse cycles and tree blow-ups.

    Children are containers' items and keys, instance ``__dict__`` values (tensors, OrderedDicts,
    HistoryBuffers), numpy object arrays' items and dtypes' metadata, fields and sub-dtypes.

    Args:
        value: what ``torch.load`` returned.
        limit_bytes (int): the file's size: no tensor may claim more (unless its storage holds it).
        check (callable, optional): called once with every object, may raise. Defaults to None.
        max_tree_objects (int): refuse a graph that expands to more objects when walked as a tree.
            Defaults to :data:`MAX_TREE_OBJECTS`.

    Returns:
        int: the number of objects the graph expands to as a tree (each shared object counted once
        per path to it).

    Raises:
        LoadBudgetError: a cycle, more than ``max_tree_objects`` objects as a tree, a tensor that
            claims more than ``limit_bytes``, or a dunder attribute in an instance dict.
    """
    import numpy as np
    import torch
    types = dict(torch=torch, np=np)
    sizes: dict = {}  # id -> objects its subtree expands to; None while that subtree is being walked
    alive = []  # children made on the fly (dtype.fields, tolist) stay alive, so that their ids stay unique

    def enter(node: Any) -> list:
        if check is not None:
            check(node)
        alive.append(node)
        sizes[id(node)] = None
        return [node, iter(_children(node, limit_bytes, types)), 1]

    def add(frame: list, count: int) -> None:
        frame[2] += count
        if frame[2] > max_tree_objects:
            raise LoadBudgetError(f'its objects expand to more than {max_tree_objects} when walked as a tree '
                                  f'(objects shared along many paths)')

    stack = [enter(value)]
    while stack:
        frame = stack[-1]
        for child in frame[1]:
            if id(child) not in sizes:
                stack.append(enter(child))
                break
            if sizes[id(child)] is None:
                raise LoadBudgetError(f'it holds a cycle (a {type(child).__name__} that contains itself)')
            add(frame, sizes[id(child)])
        else:
            stack.pop()
            sizes[id(frame[0])] = frame[2]
            if stack:
                add(stack[-1], frame[2])
    return sizes[id(value)]

"""Read the EBV authors' released basis files (``eq_<d>_<N>.pkl``) without running pickle code.

A module of the converter tools, not of the package: ``ebv_official_basis.py`` and
``ebv_official_to_mmebv.py`` import it as their sibling (``import mmebv`` never loads it).

What such a file is (studied in the authors' repository, aassxun/Equiangular-Basis-Vectors,
``Generate_EBV/Generate_EBV.py``, and in the files it releases): a plain ``pickle.dump`` of a
float32 torch tensor of shape (N, d), rows unit norm, the dimension FIRST in the name
(``eq_100_1000.pkl`` holds 1000 vectors in d = 100). The pickle reads as

    torch._utils._rebuild_tensor_v2(torch.storage._load_from_bytes(<bytes>), offset, size,
                                    stride, requires_grad, collections.OrderedDict())

and ``<bytes>`` is a legacy (non-zip) ``torch.save`` stream of the storage: five pickles (the magic
number, protocol 1001, the sys_info dict, the storage as a persistent id
``('storage', torch.FloatStorage, key, location, numel, None)``, the list of storage keys), then
the storage's element count as int64 and its raw little-endian float32 data. ``location`` is
``'cuda:0'`` for most released files, which is why ``torch.load`` fails on a CPU machine.

:func:`read_official_basis` reads exactly that and nothing else. Before any object is built, every
global each pickle names is checked against an allow-list of those four names; each one is mapped
to a function of this module (none of torch's or the file's code runs), and anything else — another
global, another storage type, a view, a truncated or padded stream — is refused with
:class:`OfficialBasisError`. No CUDA is needed. Pure torch and numpy: no OpenMMLab import.
"""
import collections
import io
import math
import os.path as osp
import pickle
import pickletools
import re
import struct
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np
import torch
import torch.nn.functional as F

from mmebv.ebv.io import AUTHORS_CONVERTER as CONVERTER
from mmebv.ebv.io import BasisFileError, save_basis
from mmebv.utils.files import file_sha256

# torch's legacy serializer: the magic number and protocol version at the start of the stream
# (torch/serialization.py, MAGIC_NUMBER and PROTOCOL_VERSION).
LEGACY_MAGIC = 0x1950a86a20f9469cfc6c
LEGACY_PROTOCOL = 1001
# where a released file's storage lived when it was saved; the data is read on the CPU anyway
LOCATION = re.compile(r'(cpu|cuda(:\d+)?)')
# the file name the authors give their bases: eq_<d>_<N>.pkl (Generate_EBV.py, "eq_dim_numcls")
OFFICIAL_NAME = re.compile(r'eq_(\d+)_(\d+)\.pkl')
# opcodes that fetch a callable by name, or from outside the stream
NAMED_GLOBALS = {'GLOBAL', 'INST'}
OPAQUE = {'EXT1', 'EXT2', 'EXT4'}
PERSISTENT = {'PERSID', 'BINPERSID'}
STRING_PUSH = {'SHORT_BINUNICODE', 'BINUNICODE', 'BINUNICODE8', 'UNICODE', 'STRING', 'BINSTRING',
               'SHORT_BINSTRING'}
MEMO_PUT = {'PUT', 'BINPUT', 'LONG_BINPUT'}
MEMO_GET = {'GET', 'BINGET', 'LONG_BINGET'}
NO_PUSH = {'PROTO', 'FRAME', 'STOP', 'MEMOIZE'} | MEMO_PUT  # leave the stack's top as it was
# Every opcode the authors' files and their inner storage streams use under pickle protocols 2-5 (seen
# in files written with each), with the variants the same pickler writes for other sizes (BINGET,
# LONG_BINPUT, SHORT_BINBYTES, BINBYTES8, APPENDS, ...). Nothing else is needed, and some of what
# is left out costs memory or runs methods: BUILD (a __setstate__ that resizes the tensor), the
# object-building INST/OBJ/NEWOBJ, text PUT/GET and LONG (unbounded numbers), out-of-band buffers.
AUTHORS_OPCODES = frozenset({
    'PROTO', 'FRAME', 'STOP', 'MARK', 'GLOBAL', 'STACK_GLOBAL', 'REDUCE', 'BINPERSID',
    'MEMOIZE', 'BINPUT', 'LONG_BINPUT', 'BINGET', 'LONG_BINGET',
    'BININT', 'BININT1', 'BININT2', 'LONG1', 'NONE', 'NEWTRUE', 'NEWFALSE',
    'SHORT_BINUNICODE', 'BINUNICODE', 'SHORT_BINBYTES', 'BINBYTES', 'BINBYTES8',
    'EMPTY_TUPLE', 'TUPLE', 'TUPLE1', 'TUPLE2', 'TUPLE3', 'EMPTY_LIST', 'APPEND', 'APPENDS',
    'EMPTY_DICT', 'SETITEM', 'SETITEMS'})


class OfficialBasisError(BasisFileError):
    """A file is not an EBV basis pickle as the authors release them (nothing in it was run)."""


class _Storage:
    """The float32 data of one legacy storage stream: a 1-D tensor (numel, )."""

    def __init__(self, data: torch.Tensor, location: str) -> None:
        self.data, self.location = data, location


class _StorageRef:
    """What the storage pickle's persistent id stands for, before the raw data is read."""

    def __init__(self, key: str, location: str, numel: int) -> None:
        self.key, self.location, self.numel = key, location, numel


class _FloatStorageType:
    """Stands for ``torch.FloatStorage`` in a persistent id; never called."""


def _empty_ordered_dict(*args) -> collections.OrderedDict:
    """``collections.OrderedDict`` as a released tensor uses it: the empty backward-hooks dict."""
    if args:
        raise pickle.UnpicklingError('it builds an OrderedDict with content; a basis tensor has none')
    return collections.OrderedDict()


def _refuse(path: str, what: str) -> OfficialBasisError:
    return OfficialBasisError(f'{path!r} is not an EBV basis pickle as the authors release them: {what}. '
                              f'Nothing in it was run. {CONVERTER} reads only their eq_<d>_<N>.pkl files '
                              f'(a pickled float32 tensor)')


def scan_globals(stream: bytes, path: str, allowed: Dict[Tuple[str, str], Any],
                 persistent_ids: int = 0) -> int:
    """Check every opcode and global a pickle names without running it, before it is loaded.

    Walks the opcodes (``pickletools.genops``, which builds nothing and reads every length a
    pickle claims against the bytes present) and resolves each ``STACK_GLOBAL``'s module and name
    from the two string pushes right before it (directly or through the memo); a name that cannot
    be resolved this way is refused as well. Only :data:`AUTHORS_OPCODES` may occur; memo indices
    must come in the order a pickler writes them (0, 1, 2, ...: an unpickler sizes its memo by the
    largest index), memo reads must name an index already written, and a frame may not claim more
    bytes than follow it. The load that follows therefore costs time and memory linear in the
    stream's length.

    Args:
        stream (bytes): one pickle, from its first opcode.
        path (str): the file, for messages.
        allowed (dict): ``(module, name) -> replacement``; only the keys are used here.
        persistent_ids (int): how many persistent ids the pickle may hold. Defaults to 0.

    Returns:
        int: the length of the pickle in bytes (the offset right after its STOP).

    Raises:
        OfficialBasisError: an opcode or a global outside the allow-lists, an extension code, too
            many persistent ids, a memo index out of order, or a stream that is not a complete pickle.
    """
    buffer = io.BytesIO(stream)
    memo: Dict[int, Optional[str]] = {}
    pushed: List[Optional[str]] = []  # the value each pushing opcode put on the stack, when a string
    seen_persistent = 0
    try:
        for opcode, arg, position in pickletools.genops(buffer):
            name = opcode.name
            if name not in AUTHORS_OPCODES and name not in OPAQUE:
                raise _refuse(path, f'it uses the pickle opcode {name} at byte {position}, which the authors\' files '
                                    f'never need')
            if name == 'FRAME' and arg > len(stream) - buffer.tell():
                raise _refuse(path, f'its pickle is truncated or corrupt (a frame at byte {position} claims {arg} '
                                    f'bytes where {len(stream) - buffer.tell()} follow)')
            if name in MEMO_PUT and arg != len(memo):
                raise _refuse(path, f'it stores memo entry {arg} at byte {position} where a pickler writes '
                                    f'entry {len(memo)} (an unpickler would size its memo by that index)')
            if name in MEMO_GET and arg not in memo:
                raise _refuse(path, f'it reads memo entry {arg} at byte {position}, which it never wrote')
            if name in OPAQUE:
                raise _refuse(path, f'it fetches an object by extension code ({name})')
            if name in PERSISTENT:
                seen_persistent += 1
                if seen_persistent > persistent_ids:
                    raise _refuse(path, 'it refers to an object outside the pickle (a persistent id) '
                                        'where a basis file has none')
            if name in NAMED_GLOBALS or name == 'STACK_GLOBAL':
                if name == 'STACK_GLOBAL':
                    module, attr = (pushed[-2], pushed[-1]) if len(pushed) >= 2 else (None, None)
                    if not (isinstance(module, str) and isinstance(attr, str)):
                        raise _refuse(path, 'it names a global through a computed name')
                else:
                    module, attr = arg.split(' ', 1)
                if (module, attr) not in allowed:
                    raise _refuse(path, f'it names the global {module}.{attr}, which an EBV basis file '
                                        f'never holds (allowed: {", ".join(".".join(k) for k in allowed)})')
            if name == 'MEMOIZE':
                memo[len(memo)] = pushed[-1] if pushed else None
            elif name in MEMO_PUT:
                memo[arg] = pushed[-1] if pushed else None
            elif name in MEMO_GET:
                pushed.append(memo.get(arg))
            elif name in STRING_PUSH:
                pushed.append(arg if isinstance(arg, str) else None)
            elif name not in NO_PUSH:
                pushed.append(None)  # anything else: the stack's top is no longer a known string
    except OfficialBasisError:
        raise
    except Exception as error:  # genops: truncated stream, unknown opcode
        raise _refuse(path, f'its pickle is truncated or corrupt ({type(error).__name__}: {error})') from error
    return buffer.tell()


class _AllowListUnpickler(pickle.Unpickler):
    """A ``pickle.Unpickler`` whose globals are exactly ``allowed`` (module, name) -> our function."""

    def __init__(self, stream: bytes, allowed: Dict[Tuple[str, str], Any],
                 persistent_load: Optional[Callable[[Any], Any]] = None) -> None:
        super().__init__(io.BytesIO(stream))
        self.allowed, self._persistent = allowed, persistent_load

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in self.allowed:  # scan_globals refused it already; belt and braces
            raise pickle.UnpicklingError(f'global {module}.{name} is not allowed')
        return self.allowed[(module, name)]

    def persistent_load(self, pid: Any) -> Any:
        if self._persistent is None:
            raise pickle.UnpicklingError('no persistent ids are allowed here')
        return self._persistent(pid)


def _load_one(data: bytes, offset: int, path: str, allowed: Dict[Tuple[str, str], Any],
              persistent_load: Optional[Callable[[Any], Any]] = None) -> Tuple[Any, int]:
    """Scan, then load, the pickle that starts at ``offset``; return it and the offset after it."""
    length = scan_globals(data[offset:], path, allowed, persistent_ids=int(persistent_load is not None))
    try:
        value = _AllowListUnpickler(data[offset:offset + length], allowed, persistent_load).load()
    except OfficialBasisError:
        raise
    except Exception as error:
        raise _refuse(path, f'a pickle in it does not load ({type(error).__name__}: {error})') from error
    return value, offset + length


def read_legacy_storage(data: bytes, path: str) -> _Storage:
    """Parse one legacy ``torch.save`` stream of a float32 storage (see the module docstring).

    Args:
        data (bytes): the stream.
        path (str): the file it came from, for messages.

    Returns:
        _Storage: its data as a (numel, ) float32 CPU tensor, and the location it was saved from.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise _refuse(path, f'its storage is a {type(data).__name__}, not a byte stream')
    data = bytes(data)
    magic, offset = _load_one(data, 0, path, {})
    if magic != LEGACY_MAGIC:
        raise _refuse(path, 'its storage stream does not start with torch\'s legacy magic number')
    protocol, offset = _load_one(data, offset, path, {})
    if protocol != LEGACY_PROTOCOL:
        raise _refuse(path, f'its storage stream has protocol {protocol!r}, not {LEGACY_PROTOCOL}')
    sys_info, offset = _load_one(data, offset, path, {})
    if not isinstance(sys_info, dict) or sys_info.get('little_endian') is not True:
        raise _refuse(path, f'its storage was not saved little-endian (sys_info {sys_info!r})')
    refs: List[_StorageRef] = []

    def storage_id(pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == 'storage'):
            raise _refuse(path, f'its storage is described by {pid!r}, not a storage persistent id')
        _, storage_type, key, location, numel, view = pid
        if storage_type is not _FloatStorageType:
            raise _refuse(path, f'its storage type is {storage_type!r}; a basis is a FloatStorage (float32)')
        if not (isinstance(location, str) and LOCATION.fullmatch(location)):
            raise _refuse(path, f'its storage location is {location!r}, not cpu or cuda:<n>')
        if not (isinstance(key, str) and isinstance(numel, int) and numel >= 0 and view is None):
            raise _refuse(path, f'its storage persistent id {pid!r} is not one whole storage')
        refs.append(_StorageRef(key, location, numel))
        return refs[-1]

    ref, offset = _load_one(data, offset, path, {('torch', 'FloatStorage'): _FloatStorageType}, storage_id)
    if not isinstance(ref, _StorageRef):
        raise _refuse(path, f'its storage stream holds a {type(ref).__name__}, not a storage')
    keys, offset = _load_one(data, offset, path, {})
    if keys != [ref.key]:
        raise _refuse(path, f'its storage stream lists the storages {keys!r}, not the one it holds')
    expected = offset + 8 + 4 * ref.numel
    if len(data) != expected:
        raise _refuse(path, f'its storage data is {len(data) - offset} bytes where {ref.numel} float32 values '
                            f'take {expected - offset} (truncated or padded)')
    (numel, ) = struct.unpack('<q', data[offset:offset + 8])
    if numel != ref.numel:
        raise _refuse(path, f'its storage says {ref.numel} values but its data block says {numel}')
    values = np.frombuffer(data, dtype='<f4', count=numel, offset=offset + 8)
    return _Storage(torch.from_numpy(values.astype(np.float32)), ref.location)


def _rebuild_tensor(path: str) -> Callable[..., torch.Tensor]:
    """Our ``torch._utils._rebuild_tensor_v2``: a strided view of the storage, checked, copied."""

    def rebuild(storage: Any, offset: Any, size: Any, stride: Any, requires_grad: Any = False,
                backward_hooks: Any = None, *extra: Any) -> torch.Tensor:
        if not isinstance(storage, _Storage):
            raise _refuse(path, f'its tensor is built on a {type(storage).__name__}, not a storage')
        shape_ok = all(isinstance(v, int) and v >= 0 for v in (offset, *size, *stride)) \
            if isinstance(size, tuple) and isinstance(stride, tuple) and len(size) == len(stride) else False
        if not shape_ok:
            raise _refuse(path, f'its tensor has offset {offset!r}, size {size!r}, stride {stride!r}')
        if not isinstance(requires_grad, bool) or not isinstance(backward_hooks, dict) or backward_hooks \
                or any(value is not None for value in extra):
            raise _refuse(path, 'its tensor carries gradient hooks or extra metadata')
        numel = storage.data.numel()
        last = offset + sum((n - 1) * s for n, s in zip(size, stride)) if all(size) else offset - 1
        if last >= numel:
            raise _refuse(path, f'its tensor of size {size} reaches past its storage of {numel} values')
        if math.prod(size) > numel:  # stride 0: a view that repeats its storage, which clone() would expand
            raise _refuse(path, f'its tensor of size {size} has more values than its storage of {numel}')
        return storage.data.as_strided(size, stride, offset).clone()

    return rebuild


def read_official_pickle(path: str) -> Tuple[torch.Tensor, str]:
    """The tensor in one of the authors' basis pickles, as saved, and the location it was saved on.

    Args:
        path (str): an ``eq_<d>_<N>.pkl`` file.

    Returns:
        tuple: the (N, d) float32 CPU tensor exactly as stored (rows not re-normalised) and the
        storage location recorded in the file (``'cuda:0'`` or ``'cpu'``).

    Raises:
        FileNotFoundError: no file at ``path``.
        OfficialBasisError: anything but a pickled float32 tensor in the authors' format.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{path!r} does not exist')
    with open(path, 'rb') as f:
        data = f.read()
    locations: List[str] = []

    def load_storage(stream: Any) -> _Storage:
        storage = read_legacy_storage(stream, path)
        locations.append(storage.location)
        return storage

    allowed = {('torch._utils', '_rebuild_tensor_v2'): _rebuild_tensor(path),
               ('torch.storage', '_load_from_bytes'): load_storage,
               ('collections', 'OrderedDict'): _empty_ordered_dict}
    tensor, end = _load_one(data, 0, path, allowed)
    if end != len(data):
        raise _refuse(path, f'{len(data) - end} bytes follow its pickle')
    if not isinstance(tensor, torch.Tensor) or len(locations) != 1:
        raise _refuse(path, f'it holds a {type(tensor).__name__}, not one tensor')
    if tensor.dim() != 2 or min(tensor.shape) < 1:
        raise _refuse(path, f'its tensor has shape {tuple(tensor.shape)}, not (N, d)')
    return tensor, locations[0]


def read_official_basis(path: str) -> torch.Tensor:
    """The authors' basis as a classifier uses it: rows re-normalised to unit length.

    Their ImageNet code renormalises the loaded tensor before use
    (``F.normalize(pkl.load(...))``, ``ImageNet_Validation_Experiment/EBV_ImageNet.py``); so
    does this, in float32 as theirs.

    Args:
        path (str): an ``eq_<d>_<N>.pkl`` file.

    Returns:
        Tensor: (N, d) float32, unit rows.
    """
    return _unit_rows(read_official_pickle(path)[0], path)


def _unit_rows(tensor: torch.Tensor, path: str) -> torch.Tensor:
    norms = tensor.double().norm(dim=1)
    if not torch.isfinite(tensor).all() or (norms < 1e-6).any():
        raise _refuse(path, 'its tensor has non-finite values or zero rows')
    return F.normalize(tensor, dim=1)


def official_name_sizes(path: str) -> Optional[Tuple[int, int]]:
    """(N, d) as the authors' file name states them (``eq_<d>_<N>.pkl``), or None for other names."""
    match = OFFICIAL_NAME.fullmatch(osp.basename(path))
    return (int(match.group(2)), int(match.group(1))) if match else None


def parse_rows(rows: Optional[str], num: int) -> slice:
    """``'A:B'`` (either end may be left out) -> a slice of ``num`` rows with A < B; None -> all."""
    if rows is None:
        return slice(0, num)
    match = re.fullmatch(r'\s*(\d*)\s*:\s*(\d*)\s*', rows)
    if not match:
        raise ValueError(f'--rows {rows!r}: write A:B, e.g. 0:80 for the first 80 rows')
    start = int(match.group(1)) if match.group(1) else 0
    stop = int(match.group(2)) if match.group(2) else num
    if not 0 <= start < stop <= num:
        raise ValueError(f'--rows {rows!r}: the file has {num} rows; give 0 <= A < B <= {num}')
    return slice(start, stop)


def import_official_basis(path: str, out: str, rows: Optional[str] = None) -> dict:
    """Write one of the authors' basis pickles as an mmebv basis file (:func:`~mmebv.ebv.save_basis`).

    Args:
        path (str): the authors' ``eq_<d>_<N>.pkl``.
        out (str): the basis file to write (``*.pth``); written atomically.
        rows (str, optional): keep rows ``'A:B'`` only (COCO's mask classifier in the authors'
            code uses rows 0-79 of the 81). Defaults to None (all rows).

    Returns:
        dict: the metadata written: N, d, coherence, Welch bound, checksum, and the source
        file's name, SHA-256, shape, storage location, largest deviation of a row norm from 1
        before re-normalising, and the rows kept.
    """
    if osp.abspath(path) == osp.abspath(out):
        raise ValueError(f'the output {out!r} is the input file: choose another name (e.g. *.pth)')
    raw, location = read_official_pickle(path)
    basis = _unit_rows(raw, path)
    keep = parse_rows(rows, basis.shape[0])
    source_sha256 = file_sha256(path)
    norm_error = float((raw.double().norm(dim=1) - 1).abs().max())
    return save_basis(out, basis[keep], method='official', source=osp.basename(path), source_sha256=source_sha256,
                      source_shape=list(raw.shape), source_location=location, source_norm_error=norm_error,
                      rows=f'{keep.start}:{keep.stop}')

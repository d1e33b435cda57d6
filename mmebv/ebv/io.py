"""Basis files: a basis tensor together with the metadata that proves what it is.

A basis file is a ``torch.save`` of ``{'basis': Tensor (N, d) float32, 'meta': dict}`` holding only
tensors and plain Python, so it loads with ``torch.load(..., weights_only=True)``: nothing in it can
run code.
"""
import hashlib
import os
import os.path as osp
from typing import Callable, List, Optional, Tuple

import torch
import torch.nn.functional as F

from mmebv.utils.bounded_loading import LoadBudgetError, torch_file_problem, walk_loaded
from mmebv.utils.files import replace_atomically

from .metrics import coherence, welch_bound

FORMAT = 'mmebv-basis-v1'
REGENERATE = 'regenerate it with `python tools/misc/generate_ebv.py N D --out FILE`'
# A stored row's norm may differ from 1 by this much (float32 rounding is ~1e-7).
UNIT_ATOL = 1e-4
# Two rows whose |cos| is within this of 1 are the same line: one of the two classes could never
# be told from the other.
SAME_LINE_ATOL = 1e-4
# A recorded coherence must match the recomputed one within this (float32 products are ~1e-6 off).
COHERENCE_ATOL = 1e-5
# Loading recomputes the coherence (N^2 d multiply-adds) up to this much work, about a second on
# 2 cores; beyond it the checksum-protected recorded value is used and rows are compared exactly.
# `generate_ebv.py --check FILE` always recomputes it.
RECHECK_MAX_WORK = 2e10
# the tool that converts the EBV authors' released basis pickles (eq_<d>_<N>.pkl) into basis files
AUTHORS_CONVERTER = 'tools/model_converters/ebv_official_basis.py'


def basis_checksum(basis: torch.Tensor) -> str:
    """SHA-256 of the basis as contiguous little-endian float32 bytes."""
    data = basis.detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4', copy=False)
    return hashlib.sha256(data.tobytes()).hexdigest()


def describe(basis: torch.Tensor, seed: Optional[int] = None, method: Optional[str] = None,
             progress: Optional[Callable[[int, int], None]] = None) -> dict:
    """Plain-Python metadata of a basis: sizes, seed, method, coherence and checksum; ``progress``
    follows the coherence over all pairs (see :func:`mmebv.ebv.metrics.coherence`)."""
    num_classes, dim = basis.shape
    stats = coherence(basis, progress=progress) if num_classes > 1 else dict(max=0.0, mean=0.0, min_angle_deg=90.0)
    return dict(num_classes=int(num_classes), dim=int(dim), seed=seed, method=method,
                coherence_max=stats['max'], coherence_mean=stats['mean'], min_angle_deg=stats['min_angle_deg'],
                welch_bound=welch_bound(int(num_classes), int(dim)), checksum=basis_checksum(basis))


class BasisFileError(ValueError):
    """A basis file is missing, corrupt, or does not match what it is used for."""


def repeated_lines(basis: torch.Tensor, limit: int = 3) -> List[Tuple[int, int]]:
    """Pairs of rows that span the same line (equal or opposite rows, up to float32 rounding),
    found in O(N d) by sorting the rows' projections on one fixed direction; at most ``limit``.

    Args:
        basis (Tensor): (N, d) finite, nonzero rows.
        limit (int): stop after this many pairs. Defaults to 3.
    """
    num, dim = basis.shape
    direction = torch.randn(dim, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    keys = torch.empty(num, dtype=torch.float64)
    for start in range(0, num, 65536):
        unit = F.normalize(basis[start:start + 65536].detach().to('cpu', torch.float64), dim=1)
        lead = unit.gather(1, unit.abs().argmax(dim=1, keepdim=True))
        keys[start:start + 65536] = (unit * torch.sign(lead)) @ direction  # opposite rows: equal keys
    order = torch.argsort(keys)
    close = ((keys[order[1:]] - keys[order[:-1]]).abs() <= 1e-6).nonzero().flatten().tolist()
    pairs = []
    for k in close:
        i, j = sorted((order[k].item(), order[k + 1].item()))
        cos = F.cosine_similarity(basis[i].double(), basis[j].double(), dim=0).abs().item()
        if cos >= 1 - SAME_LINE_ATOL:
            pairs.append((i, j))
            if len(pairs) >= limit:
                break
    return pairs


def check_basis(basis: torch.Tensor, meta: Optional[dict] = None, recompute: Optional[bool] = None,
                measured: Optional[float] = None) -> List[Tuple[str, bool, str]]:
    """The validity verdicts of a basis: what a classifier needs of its class vectors.

    Args:
        basis (Tensor): (N, d) class vectors.
        meta (dict, optional): the metadata stored with them; its ``coherence_max`` is checked.
        recompute (bool, optional): recompute the coherence over all pairs. Defaults to None: when
            N^2 d <= 2e10 (about a second on 2 cores).
        measured (float, optional): the coherence, already computed over all pairs.

    Returns:
        list: ``(check, passed, detail)`` for finite values, unit rows, distinct lines and (with
        ``meta``) the recorded coherence; a check that could not run (on non-finite values) is
        reported as failed.
    """
    verdicts = []
    num, dim = basis.shape
    finite = torch.isfinite(basis)
    bad_rows = (~finite.all(dim=1)).nonzero().flatten()
    verdicts.append(('finite values', len(bad_rows) == 0,
                     'all finite' if len(bad_rows) == 0 else
                     f'{len(bad_rows)} rows hold NaN or inf (first: row {bad_rows[0].item()})'))
    if len(bad_rows):
        return verdicts + [('unit rows', False, 'not checked: non-finite values'),
                           ('distinct lines', False, 'not checked: non-finite values')]
    norms = basis.detach().double().norm(dim=1)
    error = (norms - 1).abs()
    worst = int(error.argmax()) if num else 0
    unit_ok = num == 0 or error[worst].item() <= UNIT_ATOL
    verdicts.append(('unit rows', unit_ok, f'all norms within {UNIT_ATOL:g} of 1' if unit_ok else
                     f'row {worst} has norm {norms[worst].item():.6g} ({int((error > UNIT_ATOL).sum())} '
                     f'rows off by more than {UNIT_ATOL:g})'))
    if not unit_ok:
        return verdicts + [('distinct lines', False, 'not checked: rows are not unit vectors')]
    recorded = None if meta is None else meta.get('coherence_max')
    damaged = recorded is not None and (isinstance(recorded, bool) or not isinstance(recorded, (int, float)))
    if damaged:  # checked below as missing, then reported
        damaged, recorded = f'recorded {str(recorded)[:40]!r}, not a number', None
    if recompute is None:
        recompute = float(num)**2 * dim <= RECHECK_MAX_WORK
    if measured is None and recompute and num > 1:
        measured = coherence(basis)['max']
    pairs = repeated_lines(basis)
    top = measured if measured is not None else recorded
    if pairs:
        same = f'rows {pairs[0][0]} and {pairs[0][1]} span the same line (equal or opposite vectors)'
    elif top is not None and top >= 1 - SAME_LINE_ATOL:
        same = f'two rows span the same line: max |cos| = {top:.6f}'
    else:
        same = ''
    verdicts.append(('distinct lines', not same, same or (
        f'max |cos| {top:.6f} < 1' if top is not None else 'no two rows equal or opposite')))
    if damaged:
        verdicts.append(('recorded coherence', False, damaged))
    elif recorded is not None:
        if measured is None:
            verdicts.append(('recorded coherence', True, f'{recorded:.6f} as recorded (not recomputed: '
                             f'N^2 d > {RECHECK_MAX_WORK:.0e}; the checksum protects it)'))
        else:
            agree = abs(measured - recorded) <= COHERENCE_ATOL
            verdicts.append(('recorded coherence', agree, f'recorded {recorded:.6f}, measured {measured:.6f}'))
    return verdicts


def extension_problem(basis: torch.Tensor, meta: dict) -> Optional[str]:
    """What is wrong with the ``extends`` record of a basis file (``--extend``), or None.

    The record, ``dict(num_classes=N, checksum=SHA-256 of the old rows, ...)``, says that the first N
    rows are those of another basis; they must hash to its checksum."""
    record = meta.get('extends')
    if record is None:
        return None
    num = record.get('num_classes') if isinstance(record, dict) else None
    if isinstance(num, bool) or not isinstance(num, int) or not 1 <= num < basis.shape[0] or \
            not isinstance(record.get('checksum'), str):
        return f'its extends record {str(record)[:80]!r} is not dict(num_classes=N < {basis.shape[0]}, checksum=...)'
    if basis_checksum(basis[:num]) != record['checksum']:
        return (f'it records that it extends a basis of {num} rows (sha256 {record["checksum"][:12]}), but its '
                f'first {num} rows hash to {basis_checksum(basis[:num])[:12]}')
    return None


def save_basis(path: str, basis: torch.Tensor, progress: Optional[Callable[[int, int], None]] = None,
               **meta) -> dict:
    """Write ``basis`` and its metadata to ``path`` atomically.

    Args:
        path (str): where to write (conventionally ``*.pth``).
        basis (Tensor): (N, d) unit rows, finite, no two on the same line.
        progress (callable, optional): follows the coherence over all pairs (rows done, N).
        **meta: extra plain-Python metadata, e.g. ``seed=0, method='optimize'``; an extended
            basis records ``extends=dict(num_classes=N, checksum=basis_checksum(old), ...)``.

    Returns:
        dict: the metadata written: N, d, seed, method, coherence, Welch bound, checksum, and
        ``meta``.

    Raises:
        ValueError: the basis is not (N, d), or fails a check of :func:`check_basis`; nothing is
            written then.
    """
    if basis.dim() != 2 or basis.shape[0] == 0:
        raise ValueError(f'a basis is (num_classes, dim) with num_classes >= 1, got shape {tuple(basis.shape)}')
    basis = basis.detach().to('cpu', torch.float32).contiguous()
    full_meta = describe(basis, seed=meta.pop('seed', None), method=meta.pop('method', None), progress=progress)
    failed = [(name, detail) for name, ok, detail in check_basis(basis, measured=full_meta['coherence_max'])
              if not ok]
    if failed:
        raise ValueError(f'refusing to save an invalid basis to {path!r}: ' +
                         '; '.join(f'{name}: {detail}' for name, detail in failed))
    full_meta.update(meta, format=FORMAT)
    problem = extension_problem(basis, full_meta)
    if problem:
        raise ValueError(f'refusing to save {path!r}: {problem}')
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        torch.save(dict(basis=basis, meta=full_meta), tmp)
        replace_atomically(tmp, path)  # a crash mid-write never leaves a half file under the real name
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return full_meta


def inspect_basis_file(path: str) -> dict:
    """Everything known about a basis file, without raising on what is wrong with it.

    Args:
        path (str): a basis file.

    Returns:
        dict: ``verdicts`` (a list of ``(check, passed, detail)``: readable, format, shape as
        recorded, checksum, and those of :func:`check_basis` with the coherence recomputed over all
        pairs), ``basis`` and ``meta`` (None where unreadable) and ``coherence`` (the recomputed
        statistics, or None).
    """
    out = dict(basis=None, meta=None, coherence=None, verdicts=[])
    verdicts = out['verdicts']
    if not osp.isfile(path) or osp.getsize(path) == 0:
        verdicts.append(('readable', False, 'no such file' if not osp.isfile(path) else 'empty (0 bytes)'))
        return out
    try:
        content = _read_bounded(path)
    except Exception as error:
        verdicts.append(('readable', False, f'{type(error).__name__}: {_first_line(error)}'))
        return out
    verdicts.append(('readable', True, 'tensors and plain Python only'))
    if not (isinstance(content, dict) and isinstance(content.get('basis'), torch.Tensor)
            and isinstance(content.get('meta'), dict)):
        verdicts.append(('format', False, f'not {{"basis": tensor, "meta": dict}} ({FORMAT})'))
        return out
    basis, meta = content['basis'], content['meta']
    out.update(basis=basis, meta=meta)
    verdicts.append(('format', meta.get('format') == FORMAT, f'format {meta.get("format")!r}'))
    shape_ok = basis.dim() == 2 and (meta.get('num_classes'), meta.get('dim')) == tuple(basis.shape)
    verdicts.append(('shape as recorded', shape_ok, f'tensor {tuple(basis.shape)}, recorded '
                     f'{meta.get("num_classes")} x {meta.get("dim")}'))
    if basis.dim() != 2 or basis.shape[0] == 0:
        return out
    verdicts.append(('checksum', basis_checksum(basis) == meta.get('checksum'), 'sha256 of the float32 values'))
    basis = basis.float()
    if basis.shape[0] > 1 and torch.isfinite(basis).all():
        out['coherence'] = coherence(basis)
    measured = out['coherence']['max'] if out['coherence'] else None
    verdicts.extend(check_basis(basis, meta, recompute=True, measured=measured))
    if meta.get('extends') is not None:
        problem = extension_problem(basis, meta)
        verdicts.append(('extends', not problem, problem or f'rows :{meta["extends"]["num_classes"]} are the '
                         f'basis it extends (sha256 {meta["extends"]["checksum"][:12]})'))
    return out


def looks_like_authors_pickle(path: str) -> bool:
    """Whether ``path`` starts like the EBV authors' basis pickles (``eq_<d>_<N>.pkl``): a pickle of
    protocol 2-5 that names ``torch._utils._rebuild_tensor_v2`` in its first 128 bytes. Reads those
    bytes only and runs nothing; the converter (:data:`AUTHORS_CONVERTER`) reads the whole file."""
    try:
        with open(path, 'rb') as f:
            head = f.read(128)
    except OSError:
        return False
    return len(head) > 2 and head[0] == 0x80 and 2 <= head[1] <= 5 and b'_rebuild_tensor_v2' in head


def _authors_pickle_advice(path: str) -> str:
    """What to do with one of the authors' basis pickles, which ``torch.load`` cannot read safely."""
    return (f'{path!r} is an EBV basis pickle as the authors release them (eq_<d>_<N>.pkl), not an mmebv '
            f'basis file; convert it, without running any of its pickle code: `python {AUTHORS_CONVERTER} '
            f'{path} OUT.pth`, then point the config at OUT.pth. Do not load it with weights_only=False')


def _read_bounded(path: str):
    """``torch.load(path, weights_only=True)`` within the loading budget of
    :mod:`mmebv.utils.bounded_loading`: the zip records are checked before torch allocates, every
    loaded object is then visited once.

    Raises:
        LoadBudgetError: the file would cost more than its bytes to load.
        Exception: whatever ``torch.load`` raises on a file it cannot read.
    """
    problem = torch_file_problem(path)
    if problem:
        raise LoadBudgetError(f'refused before loading: {problem}')
    content = torch.load(path, map_location='cpu', weights_only=True)
    walk_loaded(content, osp.getsize(path))
    return content


def _first_line(error: Exception) -> str:
    lines = str(error).splitlines()
    return lines[0][:200] if lines else 'no message'


def load_basis(path: str,
               num_classes: Optional[int] = None,
               dim: Optional[int] = None,
               recompute: Optional[bool] = None) -> Tuple[torch.Tensor, dict]:
    """Read a basis file and check it end to end.

    Args:
        path (str): a file written by :func:`save_basis`.
        num_classes (int, optional): the N the caller needs; checked when given.
        dim (int, optional): the d the caller needs; checked when given.
        recompute (bool, optional): recompute the coherence to compare it with the recorded one.
            Defaults to None: when N^2 d <= 2e10 (see :func:`check_basis`).

    Returns:
        tuple: the (N, d) float32 basis and its metadata dict.

    Raises:
        FileNotFoundError: no file at ``path``.
        BasisFileError: the file is empty, unreadable, or would cost more than its bytes to load (the
            budget of :mod:`mmebv.utils.bounded_loading`, kept whatever it holds), its checksum or
            metadata disagree with its content, its vectors are not finite unit vectors on distinct
            lines, or its N / d differ from ``num_classes`` / ``dim``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'EBV basis file {path!r} does not exist: {REGENERATE}')
    if osp.getsize(path) == 0:
        raise BasisFileError(f'{path!r} is empty (0 bytes): an interrupted copy or download? {REGENERATE}')
    try:
        content = _read_bounded(path)
    except LoadBudgetError as error:
        raise BasisFileError(f'{path!r} is refused: {error}; not a basis file save_basis wrote (crafted or '
                             f'damaged); {REGENERATE}') from error
    except Exception as error:  # truncated, not a torch file, or holds non-tensor objects
        if looks_like_authors_pickle(path):  # the EBV authors' eq_<d>_<N>.pkl files
            raise BasisFileError(_authors_pickle_advice(path)) from error
        raise BasisFileError(f'{path!r} is not a readable basis file ({type(error).__name__}: '
                             f'{_first_line(error)}); {REGENERATE}') from error
    if not (isinstance(content, dict) and isinstance(content.get('basis'), torch.Tensor)
            and isinstance(content.get('meta'), dict) and content['meta'].get('format') == FORMAT):
        raise BasisFileError(f'{path!r} is not an mmebv basis file ({FORMAT}); {REGENERATE}')
    basis, meta = content['basis'], content['meta']
    if basis.dim() != 2 or (meta.get('num_classes'), meta.get('dim')) != tuple(basis.shape):
        raise BasisFileError(f'{path!r} says it holds {meta.get("num_classes")} x {meta.get("dim")} '
                             f'vectors but holds a tensor of shape {tuple(basis.shape)}; {REGENERATE}')
    if basis_checksum(basis) != meta.get('checksum'):
        raise BasisFileError(f'{path!r} fails its checksum: the basis was changed or corrupted; {REGENERATE}')
    for name, passed, detail in check_basis(basis.float(), meta, recompute):
        if not passed:
            why = ('its metadata does not describe it' if name == 'recorded coherence' else
                   'a class whose vector is not a finite unit vector on a line of its own can never be predicted')
            raise BasisFileError(f'{path!r} is not a usable basis ({name}: {detail}): {why}; {REGENERATE}')
    problem = extension_problem(basis, meta)
    if problem:
        raise BasisFileError(f'{path!r} is not a usable basis: {problem}; extend the old basis again with '
                             f'`python tools/misc/generate_ebv.py N_TOTAL D --extend OLD --out FILE`')
    for name, want, have in (('num_classes', num_classes, basis.shape[0]), ('dim', dim, basis.shape[1])):
        if want is not None and want != have:
            raise BasisFileError(f'{path!r} holds a basis with {name}={have}, but {want} is needed: point '
                                 f'the config at a basis of {name}={want} or set {name}={have}')
    return basis.float(), meta

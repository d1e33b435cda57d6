"""Basis files: a basis tensor together with the metadata that proves what it is.

A basis file is a ``torch.save`` of ``{'basis': Tensor (N, d) float32, 'meta': dict}`` holding only
tensors and plain Python, so it loads with ``torch.load(..., weights_only=True)``.
"""
import hashlib
import os
import os.path as osp
from typing import Optional, Tuple

import torch

from .metrics import coherence, welch_bound

FORMAT = 'mmebv-basis-v1'
REGENERATE = 'regenerate it with `python tools/misc/generate_ebv.py N D --out FILE`'


def basis_checksum(basis: torch.Tensor) -> str:
    """SHA-256 of the basis as contiguous little-endian float32 bytes."""
    data = basis.detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4', copy=False)
    return hashlib.sha256(data.tobytes()).hexdigest()


def describe(basis: torch.Tensor, seed: Optional[int] = None, method: Optional[str] = None) -> dict:
    """Plain-Python metadata of a basis: sizes, seed, method, coherence and checksum."""
    num_classes, dim = basis.shape
    stats = coherence(basis) if num_classes > 1 else dict(max=0.0, mean=0.0, min_angle_deg=90.0)
    return dict(num_classes=int(num_classes), dim=int(dim), seed=seed, method=method,
                coherence_max=stats['max'], coherence_mean=stats['mean'], min_angle_deg=stats['min_angle_deg'],
                welch_bound=welch_bound(int(num_classes), int(dim)), checksum=basis_checksum(basis))


class BasisFileError(ValueError):
    """A basis file is missing, corrupt, or does not match what it is used for."""


def save_basis(path: str, basis: torch.Tensor, **meta) -> dict:
    """Write ``basis`` and its metadata to ``path`` atomically.

    Args:
        path (str): where to write (conventionally ``*.pth``).
        basis (Tensor): (N, d) unit rows.
        **meta: extra plain-Python metadata, e.g. ``seed=0, method='optimize'``.

    Returns:
        dict: the metadata written: N, d, seed, method, coherence, Welch bound, checksum, and
        ``meta``.
    """
    if basis.dim() != 2:
        raise ValueError(f'a basis is (num_classes, dim), got shape {tuple(basis.shape)}')
    basis = basis.detach().to('cpu', torch.float32).contiguous()
    full_meta = describe(basis, seed=meta.pop('seed', None), method=meta.pop('method', None))
    full_meta.update(meta, format=FORMAT)
    directory = osp.dirname(osp.abspath(path))
    os.makedirs(directory, exist_ok=True)
    tmp = f'{path}.tmp-{os.getpid()}'
    try:
        torch.save(dict(basis=basis, meta=full_meta), tmp)
        os.replace(tmp, path)  # a crash mid-write never leaves a half file under the real name
    finally:
        if osp.exists(tmp):
            os.remove(tmp)
    return full_meta


def load_basis(path: str,
               num_classes: Optional[int] = None,
               dim: Optional[int] = None) -> Tuple[torch.Tensor, dict]:
    """Read a basis file and check it end to end.

    Args:
        path (str): a file written by :func:`save_basis`.
        num_classes (int, optional): the N the caller needs; checked when given.
        dim (int, optional): the d the caller needs; checked when given.

    Returns:
        tuple: the (N, d) float32 basis and its metadata dict.

    Raises:
        FileNotFoundError: no file at ``path``.
        BasisFileError: the file is unreadable, its checksum or metadata disagree with its content,
            or its N / d differ from ``num_classes`` / ``dim``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'EBV basis file {path!r} does not exist: {REGENERATE}')
    try:
        content = torch.load(path, map_location='cpu', weights_only=True)
    except Exception as error:  # truncated, not a torch file, or holds non-tensor objects
        from .official import official_pickle_advice  # the EBV authors' eq_<d>_<N>.pkl files
        advice = official_pickle_advice(path)
        if advice:
            raise BasisFileError(advice) from error
        raise BasisFileError(f'{path!r} is not a readable basis file ({type(error).__name__}: '
                             f'{str(error).splitlines()[0][:200]}); {REGENERATE}') from error
    if not (isinstance(content, dict) and isinstance(content.get('basis'), torch.Tensor)
            and isinstance(content.get('meta'), dict) and content['meta'].get('format') == FORMAT):
        raise BasisFileError(f'{path!r} is not an mmebv basis file ({FORMAT}); {REGENERATE}')
    basis, meta = content['basis'], content['meta']
    if basis.dim() != 2 or (meta.get('num_classes'), meta.get('dim')) != tuple(basis.shape):
        raise BasisFileError(f'{path!r} says it holds {meta.get("num_classes")} x {meta.get("dim")} '
                             f'vectors but holds a tensor of shape {tuple(basis.shape)}; {REGENERATE}')
    if basis_checksum(basis) != meta.get('checksum'):
        raise BasisFileError(f'{path!r} fails its checksum: the basis was changed or corrupted; {REGENERATE}')
    for name, want, have in (('num_classes', num_classes, basis.shape[0]), ('dim', dim, basis.shape[1])):
        if want is not None and want != have:
            raise BasisFileError(f'{path!r} holds a basis with {name}={have}, but {want} is needed: point '
                                 f'the config at a basis of {name}={want} or set {name}={have}')
    return basis.float(), meta

"""Bases whose rows are built by index: rank r of a class-sharded classifier builds exactly its rows
[start, stop) from the definition, with no communication and without the other rows.

==================  ===============================================  ==============================
type                row i                                            pairwise |cos|
==================  ===============================================  ==============================
``SeededRows``      a Gaussian vector, normalised, from a generator  bounded in probability (see
                    seeded by (seed, i // 1024)                      :meth:`SeededRowsBasis.coherence_bound`)
``ExtendedGold``    cyclic shift i % L of Gold sequence i // L, one  <= 2^(-(n-1)/2) (Gold 1967),
                    +1 appended (2^n dims), turned by a seeded       e.g. 1/16 in 512 dims for up to
                    rotation                                         261,633 classes
``BasisFileRows``   rows [start, stop) of a basis file, read through  the file's recorded coherence
                    a memory map (the rest is never loaded)
==================  ===============================================  ==============================

Each is a :class:`~mmebv.classifiers.registry.BasisProvider` (``build`` = all rows), registered in
:data:`INDEXED_BASES`, apart from the whole-basis providers of ``BASES`` (a sharded classifier
accepts only these; an unsharded one gets the same vectors from ``provider.build``).
"""
import hashlib
import math
import os.path as osp
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from mmebv.ebv.basis import orthonormal_rows
from mmebv.ebv.io import FORMAT, REGENERATE, BasisFileError
from mmebv.ebv.metrics import welch_bound
from mmebv.ebv.structured import PRIMITIVE_POLYNOMIALS, _m_sequence
from mmebv.utils.bounded_loading import torch_file_problem

from .bases import MIN_EBV_DIM
from .registry import BasisProvider, NamedRegistry

# SeededRows draws rows in blocks of this many (one generator each): part of the definition.
ROW_BLOCK = 1024
# the probability that SeededRows' coherence exceeds its reported bound
BOUND_FAILURE = 0.01


INDEXED_BASES = NamedRegistry('indexed basis', lambda: IndexedBasis, 'register_indexed_basis')


def register_indexed_basis(name: str) -> Callable[[type], type]:
    """Class decorator: register an :class:`IndexedBasis` subclass under ``name``."""
    return INDEXED_BASES.register(name)


def build_indexed_basis(cfg: Optional[dict]) -> 'IndexedBasis':
    """The indexed basis a ``basis`` config dict names; None means ``dict(type='SeededRows')``."""
    cfg = dict(cfg or dict(type='SeededRows'))
    name = cfg.pop('type', 'SeededRows')
    basis = INDEXED_BASES.lookup(name, 'other bases cannot be built by index (a sharded classifier builds each '
                                       'rank\'s rows on their own)')
    try:
        return basis(**cfg)
    except TypeError as error:
        raise TypeError(f'basis=dict(type={name!r}, ...): {error}') from error


class IndexedBasis(BasisProvider):
    """A basis provider that builds any range of rows on its own: :meth:`rows`."""

    def rows(self, start: int, stop: int, num_classes: int, dim: int) -> torch.Tensor:
        """Rows [start, stop) of the (num_classes, dim) basis: (stop - start, dim) float32 unit rows,
        the same whatever other ranges are built, and where."""
        raise NotImplementedError

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        self.check_dim(num_classes, dim)
        return self.rows(0, num_classes, num_classes, dim)

    def coherence_bound(self, num_classes: int, dim: int) -> dict:
        """What is known of the whole basis's coherence without building it: ``bound`` (max |cos|
        over all pairs is at most this), ``holds`` ('always' or 'with probability p') and
        ``welch_bound`` (the least any N vectors in d dims can have)."""
        raise NotImplementedError


def _seed_of(seed: int, block: int) -> int:
    digest = hashlib.sha256(f'mmebv-seeded-rows:{seed}:{block}'.encode()).digest()
    return int.from_bytes(digest[:8], 'little') & (2**63 - 1)


@register_indexed_basis('SeededRows')
class SeededRowsBasis(IndexedBasis):
    """Independent random unit rows: row i comes from a generator seeded by (``seed``, i // 1024).

    Any N, any d; no geometry is imposed, so the coherence is that of random vectors: with
    probability >= 0.99 at most sqrt(2 ln(N² / 0.01) / d) (union bound over pairs of the tail
    2 exp(-d t² / 2) of one cosine), e.g. 0.36 for 10^6 classes in 512 dims, where the Welch bound
    is 0.044. Use ``ExtendedGold`` where it holds N, or ``BasisFileRows`` on a generated EBV basis,
    when the margin between classes matters.

    Args:
        seed (int): the basis seed. Defaults to 0.
        num_vectors (int, optional): see :class:`BasisProvider`.
    """

    def __init__(self, seed: int = 0, num_vectors: Optional[int] = None) -> None:
        super().__init__(num_vectors)
        self.seed = int(seed)

    def default_dim(self, num_classes: int) -> int:
        return max(MIN_EBV_DIM, min(num_classes, 512))

    def rows(self, start: int, stop: int, num_classes: int, dim: int) -> torch.Tensor:
        out = torch.empty(stop - start, dim)
        for block in range(start // ROW_BLOCK, (stop - 1) // ROW_BLOCK + 1 if stop > start else 0):
            generator = torch.Generator().manual_seed(_seed_of(self.seed, block))
            first = block * ROW_BLOCK
            values = F.normalize(torch.randn(ROW_BLOCK, dim, generator=generator, dtype=torch.float64), dim=1)
            lo, hi = max(start, first), min(stop, first + ROW_BLOCK)
            out[lo - start:hi - start] = values[lo - first:hi - first].float()
        return out

    def coherence_bound(self, num_classes: int, dim: int) -> dict:
        pairs = num_classes * (num_classes - 1) / 2
        bound = min(1.0, math.sqrt(2 * math.log(max(2 * pairs, 1) / BOUND_FAILURE) / dim))
        return dict(bound=bound, holds=f'with probability >= {1 - BOUND_FAILURE}',
                    welch_bound=welch_bound(num_classes, dim))

    def meta(self) -> dict:
        return dict(type=self.name, seed=self.seed, row_block=ROW_BLOCK)


def gold_degree(num_classes: int, dim: int) -> Optional[int]:
    """The largest n (odd, with a primitive polynomial) whose extended Gold family, (2^n + 1)(2^n - 1)
    vectors in 2^n dims, fits in ``dim`` dims and holds ``num_classes``; None if none does."""
    fitting = [n for n in PRIMITIVE_POLYNOMIALS if 2**n <= dim and (2**n + 1) * (2**n - 1) >= num_classes]
    return max(fitting, default=None)


@register_indexed_basis('ExtendedGold')
class ExtendedGoldBasis(IndexedBasis):
    """Extended Gold sequences by index: row i is cyclic shift i % L of Gold sequence i // L
    (L = 2^n - 1; sequence 0 and 1 are the preferred pair u, v, sequence 2 + k is u + v shifted by
    k), as ±1 with a +1 appended, over sqrt(2^n), zero-padded to d and turned by a rotation drawn
    from ``seed`` (the same d x d rotation on every rank). Pairwise |cos| <= 2^(-(n-1)/2) by Gold's
    correlation bound, for up to (2^n + 1)(2^n - 1) classes: 1/16 in 512 dims (261,633 classes),
    1/32 in 2048 dims (4,190,209 classes). n is the largest that fits in d dims.

    Args:
        seed (int): seed of the rotation. Defaults to 0.
        rotate (bool): turn the vectors by the seeded rotation (otherwise they are ±1/sqrt(2^n)
            and zeros). Defaults to True.
        num_vectors (int, optional): see :class:`BasisProvider`.
    """

    def __init__(self, seed: int = 0, rotate: bool = True, num_vectors: Optional[int] = None) -> None:
        super().__init__(num_vectors)
        self.seed, self.rotate = int(seed), bool(rotate)

    def default_dim(self, num_classes: int) -> int:
        fitting = [2**n for n in sorted(PRIMITIVE_POLYNOMIALS) if (2**n + 1) * (2**n - 1) >= num_classes]
        return max(fitting[0], 8) if fitting else 2**max(PRIMITIVE_POLYNOMIALS)

    def check_dim(self, num_classes: int, dim: int) -> None:
        if gold_degree(num_classes, dim) is None:
            raise ValueError(f'no extended Gold family holds {num_classes} vectors in {dim} dims (2^n dims hold '
                             f'4^n - 1, n odd): set embed_dim={self.default_dim(num_classes)}, or use '
                             f'basis=dict(type="SeededRows")')

    def rows(self, start: int, stop: int, num_classes: int, dim: int) -> torch.Tensor:
        self.check_dim(num_classes, dim)
        n = gold_degree(num_classes, dim)
        length = 2**n - 1
        u = _m_sequence(n).astype(np.int8)
        v = u[(3 * np.arange(length)) % length]  # decimation by 2 + 1: a preferred pair for odd n
        positions = np.arange(length)
        out = torch.zeros(stop - start, dim, dtype=torch.float64)
        for first in range(start, stop, 8192):
            family, shift = np.divmod(np.arange(first, min(stop, first + 8192)), length)
            index = (positions[None, :] + shift[:, None]) % length
            bits = np.where((family == 1)[:, None], v[index], u[index])
            mixed = (u[index] + v[(index + (family - 2)[:, None]) % length]) % 2
            bits = np.where((family >= 2)[:, None], mixed, bits)
            signs = torch.from_numpy(1.0 - 2.0 * bits)
            out[first - start:first - start + len(family), :length] = signs / math.sqrt(length + 1)
            out[first - start:first - start + len(family), length] = 1 / math.sqrt(length + 1)
        if self.rotate:
            out = out @ orthonormal_rows(dim, dim, self.seed).double()
        return out.float()

    def coherence_bound(self, num_classes: int, dim: int) -> dict:
        n = gold_degree(num_classes, dim)
        return dict(bound=2**(-(n - 1) / 2), holds='always', welch_bound=welch_bound(num_classes, dim))

    def meta(self) -> dict:
        return dict(type=self.name, seed=self.seed, rotate=self.rotate)


@register_indexed_basis('BasisFileRows')
class BasisFileRowsBasis(IndexedBasis):
    """Rows of a basis file (``tools/misc/generate_ebv.py --out``) read through a memory map: a rank
    reads its rows and never loads the rest into memory.

    The file is opened with ``torch.load(mmap=True, weights_only=True)`` (tensors and plain Python
    only; nothing in it runs), after the zip-record checks of :mod:`mmebv.utils.bounded_loading`.
    Its format and recorded sizes are checked against the configured N and d, and with ``verify``
    its SHA-256 over all rows (streamed, a block at a time) against the recorded checksum.

    Args:
        file (str): the basis file.
        verify (bool): check the checksum of the whole file (reads it once, holds one block).
            Defaults to True.
        num_vectors (int, optional): see :class:`BasisProvider`.
    """

    def __init__(self, file: str, verify: bool = True, num_vectors: Optional[int] = None) -> None:
        super().__init__(num_vectors)
        self.file, self.verify = file, bool(verify)
        self._content = None

    def _open(self):
        if self._content is None:
            if not osp.isfile(self.file):
                raise FileNotFoundError(f'basis file {self.file!r} does not exist: {REGENERATE}')
            problem = torch_file_problem(self.file)
            if problem:
                raise BasisFileError(f'{self.file!r} is refused before loading: {problem}; {REGENERATE}')
            try:
                content = torch.load(self.file, map_location='cpu', weights_only=True, mmap=True)
            except Exception as error:
                raise BasisFileError(f'{self.file!r} is not a readable basis file ({type(error).__name__}: '
                                     f'{str(error)[:200]}); {REGENERATE}') from error
            if not (isinstance(content, dict) and isinstance(content.get('basis'), torch.Tensor)
                    and isinstance(content.get('meta'), dict) and content['meta'].get('format') == FORMAT):
                raise BasisFileError(f'{self.file!r} is not an mmebv basis file ({FORMAT}); {REGENERATE}')
            self._content = content
        return self._content['basis'], self._content['meta']

    def _checked(self, num_classes: int, dim: int) -> torch.Tensor:
        basis, meta = self._open()
        if basis.dim() != 2 or tuple(basis.shape) != (meta.get('num_classes'), meta.get('dim')):
            raise BasisFileError(f'{self.file!r} records {meta.get("num_classes")} x {meta.get("dim")} vectors but '
                                 f'holds a tensor of shape {tuple(basis.shape)}; {REGENERATE}')
        if tuple(basis.shape) != (num_classes, dim):
            raise BasisFileError(f'{self.file!r} holds {basis.shape[0]} rows of {basis.shape[1]} dims, but the '
                                 f'classifier is configured for {num_classes} classes of {dim} dims: set '
                                 f'num_classes={basis.shape[0]} and embed_dim={basis.shape[1]}, or point basis.file '
                                 f'at a basis of {num_classes} x {dim}')
        if self.verify and not getattr(self, '_verified', False):
            digest = hashlib.sha256()
            for first in range(0, basis.shape[0], 65536):
                digest.update(basis[first:first + 65536].to(torch.float32).contiguous().numpy()
                              .astype('<f4', copy=False).tobytes())
            if digest.hexdigest() != meta.get('checksum'):
                raise BasisFileError(f'{self.file!r} fails its checksum: the basis was changed or corrupted; '
                                     f'{REGENERATE}')
            self._verified = True
        return basis

    def check_dim(self, num_classes: int, dim: int) -> None:
        self._checked(num_classes, dim)

    def default_dim(self, num_classes: int) -> int:
        return int(self._open()[1].get('dim'))

    def rows(self, start: int, stop: int, num_classes: int, dim: int) -> torch.Tensor:
        rows = self._checked(num_classes, dim)[start:stop].float().clone()
        norms = rows.norm(dim=1)
        if not (torch.isfinite(rows).all() and torch.allclose(norms, torch.ones_like(norms), atol=1e-4)):
            raise BasisFileError(f'{self.file!r}: rows {start}..{stop - 1} are not finite unit vectors; '
                                 f'{REGENERATE}')
        return rows

    def coherence_bound(self, num_classes: int, dim: int) -> dict:
        meta = self._open()[1]
        return dict(bound=float(meta.get('coherence_max', 1.0)), holds='as recorded in the file (checksummed)',
                    welch_bound=welch_bound(num_classes, dim))

    def meta(self) -> dict:
        # the recorded checksum identifies the content: ranks reading different files disagree
        return dict(type=self.name, file=self.file, checksum=self._open()[1].get('checksum'))

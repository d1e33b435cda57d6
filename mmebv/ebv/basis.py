"""Generation of equiangular basis vectors: N unit vectors in d dims, as close to orthogonal as
geometry allows.

Pure torch; no OpenMMLab import.
"""
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import check_sizes, welch_bound
from .refine import refine
from .structured import Family, best_family

METHODS = ('auto', 'orthonormal', 'optimize', 'structured')
# p-norm stages of the refinement: from a random start p = 8 (spread evenly) up to p = 1024
# (flatten the top); an algebraic start is already spread and begins at p = 16.
RANDOM_POWERS = (8, 16, 32, 64, 128, 256, 512, 1024)
STRUCTURED_POWERS = (16, 32, 64, 128, 256, 512, 1024)
# Zero-padded family vectors span only family.dim dims, and there the gradient has no component
# outside them: a small tilt into the remaining dims lets the refinement use all d.
PAD_TILT = 0.1
# 'auto' starts from an algebraic family when it is within GOOD_FAMILY_RATIO of the Welch bound;
# or within FAIR_FAMILY_RATIO when N >= OVERCOMPLETE * d, where random starts stall above it
# (measured at N = 1000: d = 100, Kerdock start 1.21x Welch, random start 1.38x; d = 300,
# Kerdock 1.15x, random 1.14x); or whenever a random start could not be refined in reasonable
# time (one objective evaluation costs about 4 N^2 d flops).
GOOD_FAMILY_RATIO = 1.1
FAIR_FAMILY_RATIO = 1.5
OVERCOMPLETE = 5
REFINE_MAX_WORK = 2e11  # N^2 d above which 'auto' skips refining an algebraic start
MIN_FILL = 0.98  # a family holding 98% of the vectors is used, the rest added at random


def generate_ebv(num_classes: int,
                 dim: int,
                 seed: int = 0,
                 method: str = 'auto',
                 steps: Optional[int] = None,
                 target: Optional[float] = None,
                 time_limit: Optional[float] = None,
                 verbose: bool = False,
                 callback: Optional[Callable[[dict], None]] = None) -> torch.Tensor:
    """Generate ``num_classes`` unit vectors in ``dim`` dims that are as close to orthogonal as
    possible (smallest largest-pairwise-|cos|, the coherence).

    Methods:
        - ``'orthonormal'`` (N <= d): the Q factor of a seeded Gaussian matrix; |cos| < 1e-6.
        - ``'structured'`` (N > d): an algebraic family (Paley equiangular tight frames, Kerdock
          mutually unbiased bases, Gold sequences; see :mod:`mmebv.ebv.structured`) that fits in d
          dims, randomly subsampled and rotated, then refined.
        - ``'optimize'`` (N > d): a random start, refined by L-BFGS on an annealed p-norm of the
          pairwise |cos| (see :mod:`mmebv.ebv.refine`).
        - ``'auto'``: orthonormal for N <= d; otherwise structured when a family lies within
          1.1x the Welch bound, or within 1.5x when N >= 5d, or when N is too large to refine a
          random start; else optimize.

    Args:
        num_classes (int): N, the number of vectors (classes).
        dim (int): d, their dimension.
        seed (int): seed of every random choice; the same arguments give a bit-identical basis.
            Defaults to 0.
        method (str): see above. Defaults to ``'auto'``.
        steps (int, optional): L-BFGS iterations of the refinement, in total; 0 skips it.
            Defaults to 1000 for a random start, 700 for an algebraic one (0 when N^2 d > 2e11).
        target (float, optional): stop refining once the coherence is at most this.
        time_limit (float, optional): stop refining after about this many seconds.
        verbose (bool): print progress. Defaults to False.
        callback (callable, optional): receives the refinement's progress dicts (see
            :func:`mmebv.ebv.refine.refine`).

    Returns:
        Tensor: (N, d) float32, unit rows.
    """
    check_sizes(num_classes, dim)
    if method not in METHODS:
        raise ValueError(f'unknown EBV method {method!r}: choose one of {METHODS}')
    log = (lambda line: print(f'[generate_ebv] {line}', flush=True)) if verbose else None

    def progress(info: dict) -> None:
        if log:
            stage = f'stage {info["stage"]}/{len(powers)} p={info["power"]:g}' if info['stage'] else 'start'
            log(f'{stage}: max |cos| {info["max"]:.5f} (best {info["best"]:.5f}), {info["seconds"]:.1f} s')
        if callback:
            callback(info)
    if num_classes <= dim:
        if method not in ('auto', 'orthonormal'):
            raise ValueError(f'method={method!r} is for N > d; N={num_classes} <= d={dim} gets an exact '
                             f'orthonormal basis from method="orthonormal" (or "auto")')
        return orthonormal_rows(num_classes, dim, seed)
    if method == 'orthonormal':
        raise ValueError(
            f'method="orthonormal" cannot place {num_classes} orthogonal vectors in {dim} dims: '
            f'use method="auto" (or "structured", "optimize"), or a dim >= {num_classes}')
    family = best_family(num_classes, dim, MIN_FILL)
    work = float(num_classes)**2 * dim
    if method == 'auto':
        method = 'optimize'
        if family is not None:
            ratio = family.coherence / welch_bound(num_classes, dim)
            if ratio <= GOOD_FAMILY_RATIO or work > REFINE_MAX_WORK or \
                    (ratio <= FAIR_FAMILY_RATIO and num_classes >= OVERCOMPLETE * dim):
                method = 'structured'
    if method == 'structured':
        if family is None:
            raise ValueError(f'no algebraic family holds {num_classes} vectors in {dim} dims: use '
                             f'method="optimize" (or "auto")')
        powers = STRUCTURED_POWERS
        steps = (700 if work <= REFINE_MAX_WORK else 0) if steps is None else steps
        start = structured_start(family, num_classes, dim, seed, tilt=PAD_TILT if steps > 0 else 0.0)
        if log:
            log(f'start: {family.name}({family.param}), {min(family.capacity, num_classes)} of '
                f'{family.capacity} vectors in {family.dim} dims, max |cos| <= {family.coherence:.5f}')
    else:
        start = F.normalize(_gaussian(num_classes, dim, seed), dim=1)
        powers, steps = RANDOM_POWERS, (1000 if steps is None else steps)
    if steps <= 0:
        return F.normalize(start.float(), dim=1).contiguous()
    at_the_bound = welch_bound(num_classes, dim) * (1 + 1e-5)  # nothing left to gain
    target = at_the_bound if target is None else max(target, at_the_bound)
    return refine(start, powers, max(1, steps // len(powers)), target, time_limit, progress)


def structured_start(family: Family, num_classes: int, dim: int, seed: int, tilt: float = 0.0) -> torch.Tensor:
    """``num_classes`` vectors of ``family`` (random ones added if it holds fewer), padded to ``dim``
    (zeros, or a random component of norm ``tilt``) and turned by a seeded random rotation:
    (N, d) float64."""
    rng = np.random.default_rng(seed)
    taken = min(num_classes, family.capacity)
    vectors = family.build(taken, rng)
    if family.dim < dim:
        pad = F.normalize(_gaussian(taken, dim - family.dim, seed + 3), dim=1) * tilt
        vectors = torch.cat([vectors * (1 - tilt**2)**0.5, pad], dim=1)
    if taken < num_classes:
        vectors = torch.cat([vectors, F.normalize(_gaussian(num_classes - taken, dim, seed + 1), dim=1)])
    rotation = orthonormal_rows(dim, dim, seed + 2).double()
    return vectors @ rotation


def _gaussian(rows: int, cols: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(rows, cols, generator=generator, dtype=torch.float64)


def orthonormal_rows(num_classes: int, dim: int, seed: int) -> torch.Tensor:
    """``num_classes`` <= ``dim`` orthonormal rows from ``seed``: (N, d) float32."""
    q, r = torch.linalg.qr(_gaussian(dim, num_classes, seed))  # q: (d, N), orthonormal columns
    q = q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, torch.ones(1, dtype=r.dtype))
    return q.T.contiguous().float()

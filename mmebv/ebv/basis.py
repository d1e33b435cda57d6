"""Generation of equiangular basis vectors: N unit vectors in d dims, as close to orthogonal as
geometry allows.

Pure torch; no OpenMMLab import.
"""
import math
import sys
import time
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F

from .metrics import check_sizes, welch_bound
from .refine import refine
from .structured import Family, best_family

# Bump whenever the same arguments can give other vectors: it keys the basis cache and is recorded
# with every generated basis. 2: exact ETFs, extended Gold, budgets counted in evaluations.
GENERATOR_VERSION = 2
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
# Kerdock 1.15x, random 1.14x); or whenever the budget is below RANDOM_MIN_BUDGET evaluations,
# too few for a random start (measured at 3000 x 512 with 217: random start 1.65x, extended Gold
# start 1.41x).
GOOD_FAMILY_RATIO = 1.1
FAIR_FAMILY_RATIO = 1.5
OVERCOMPLETE = 5
RANDOM_MIN_BUDGET = 600
MIN_FILL = 0.98  # a family holding 98% of the vectors is used, the rest added at random
# The default budget, in objective evaluations: as many as a refinement uses from a random start
# (an algebraic one usually stops earlier, at its target), but never more than DEFAULT_WORK
# multiply-adds, so that a head with a large N builds in well under a minute on 2 cores (3000 x 512:
# 217 evaluations, 44 s at a load average of 1.4). Below
# MIN_EVALUATIONS a refinement is not worth starting: the start is used as it is.
DEFAULT_EVALUATIONS = 1200
DEFAULT_WORK = 2e12
MIN_EVALUATIONS = 100
PROGRESS_SECONDS = 10.0  # at most one progress line this often (the output only, never the result)


def evaluation_work(num_classes: int, dim: int) -> float:
    """Multiply-adds of one objective evaluation: the cosines and the gradient, 2 N^2 d."""
    return 2.0 * num_classes * num_classes * dim


def default_budget(num_classes: int, dim: int, work: float = DEFAULT_WORK,
                   evaluations: int = DEFAULT_EVALUATIONS) -> int:
    """Objective evaluations the refinement gets by default: ``min(evaluations, work / (2 N^2 d))``,
    0 when that is under 100 (too few to gain anything). A function of N and d only, so every
    machine does the same work.

    Args:
        num_classes (int): N.
        dim (int): d.
        work (float): multiply-adds to spend at most. Defaults to 2e12 (44 s on 2 cores for
            3000 x 512); ``tools/misc/generate_ebv.py`` spends more.
        evaluations (int): the most evaluations. Defaults to 1200.
    """
    evaluations = int(min(evaluations, work // evaluation_work(num_classes, dim)))
    return evaluations if evaluations >= MIN_EVALUATIONS else 0


def history_size(num_classes: int, dim: int) -> int:
    """L-BFGS history pairs: 20, fewer (down to 3) where they would hold more than 1 GiB."""
    return int(max(3, min(20, 2**30 // (8 * num_classes * dim))))


def estimate_memory(num_classes: int, dim: int, budget: int) -> int:
    """Bytes a generation holds at its peak, from what it allocates: the float64 start and its
    rotation (3 copies of N x d), and when refining the float32 iterate, gradient, best rows and
    L-BFGS history (2 per history pair) and the untilted float64 start kept beside the tilted one,
    plus blocks of cosines (a few of 2^24 elements)."""
    rows = num_classes * dim
    held = 3 * 8 * rows + 4 * 2**24 * 4
    if budget > 0:
        held += 4 * rows * (8 + 2 * history_size(num_classes, dim)) + 8 * rows
    return int(held)


class Progress:
    """Prints the refinement's progress at most every ``PROGRESS_SECONDS``: evaluations done of the
    budget, coherence now and best (and their ratio to the Welch bound), and the most time left at
    the rate so far (stages may end early)."""

    def __init__(self, welch: float, prefix: str = '[generate_ebv]', stream=None) -> None:
        self.welch, self.prefix, self.stream = welch, prefix, stream or sys.stderr
        self.last = -math.inf

    def line(self, text: str) -> None:
        print(f'{self.prefix} {text}', file=self.stream, flush=True)

    def ratio(self, value: float) -> str:
        return f'{value:.5f} ({value / self.welch:.3f}x Welch)' if self.welch > 0 else f'{value:.5f}'

    def __call__(self, info: dict, final: bool = False) -> None:
        now = time.perf_counter()
        if not final and now - self.last < PROGRESS_SECONDS and info['evaluations'] < info['budget']:
            return
        self.last = now
        done, budget, seconds = info['evaluations'], info['budget'], info['seconds']
        # an upper bound: a stage ends early once L-BFGS stops improving
        left = f', at most about {seconds / done * (budget - done):.0f} s left' if 0 < done < budget else ''
        stage = f' stage {info["stage"]}/{info["stages"]} p={info["power"]:g}' if info['stage'] else ''
        self.line(f'{done}/{budget} evaluations{stage}: max |cos| now {self.ratio(info["max"])}, best '
                  f'{self.ratio(info["best"])}, {seconds:.0f} s{left}')


def generate_ebv(num_classes: int,
                 dim: int,
                 seed: int = 0,
                 method: str = 'auto',
                 budget: Optional[int] = None,
                 target: Optional[float] = None,
                 time_limit: Optional[float] = None,
                 verbose: bool = False,
                 callback: Optional[Callable[[dict], None]] = None,
                 info: Optional[dict] = None) -> torch.Tensor:
    """Generate ``num_classes`` unit vectors in ``dim`` dims that are as close to orthogonal as
    possible (smallest largest-pairwise-|cos|, the coherence).

    Methods:
        - ``'orthonormal'`` (N <= d): the Q factor of a seeded Gaussian matrix; |cos| < 1e-6.
        - ``'structured'`` (N > d): an algebraic family (equiangular tight frames, Kerdock mutually
          unbiased bases, Gold sequences; see :mod:`mmebv.ebv.structured`) that fits in d dims,
          randomly subsampled and rotated, then refined. Where an ETF of exactly N vectors in d
          dims is built, it is at the Welch bound and kept as it is.
        - ``'optimize'`` (N > d): a random start, refined by L-BFGS on an annealed p-norm of the
          pairwise |cos| (see :mod:`mmebv.ebv.refine`).
        - ``'auto'``: orthonormal for N <= d; otherwise structured when a family lies within
          1.1x the Welch bound, or within 1.5x when N >= 5d, or when the budget is under 600
          evaluations (too few for a random start); else optimize.

    Args:
        num_classes (int): N, the number of vectors (classes).
        dim (int): d, their dimension.
        seed (int): seed of every random choice. Defaults to 0.
        method (str): see above. Defaults to ``'auto'``.
        budget (int, optional): objective evaluations of the refinement (each 2 N^2 d
            multiply-adds); 0 keeps the start. Counted in work, not seconds, so the same arguments
            give the same basis on any machine. Defaults to :func:`default_budget`.
        target (float, optional): stop refining once the coherence is at most this.
        time_limit (float, optional): stop refining after about this many seconds, checked at every
            evaluation. The result then depends on the machine: ``info['stopped']`` says
            ``'time_limit'``.
        verbose (bool): print what it does and its progress to stderr. Defaults to False.
        callback (callable, optional): receives the refinement's progress dicts (see
            :func:`mmebv.ebv.refine.refine`).
        info (dict, optional): filled with how the basis was made: ``method`` (resolved),
            ``start``, ``start_coherence``, ``budget``, ``evaluations``, ``stopped``
            (``'budget'``, ``'target'``, ``'time_limit'``; ``'exact'`` for an orthonormal basis or
            an exact ETF, ``'unrefined'`` for a start kept as it is), ``generator_version``.

    Returns:
        Tensor: (N, d) float32, unit rows.
    """
    check_sizes(num_classes, dim)
    if method not in METHODS:
        raise ValueError(f'unknown EBV method {method!r}: choose one of {METHODS}')
    if budget is not None and (not isinstance(budget, int) or budget < 0):
        raise ValueError(f'budget is a number of objective evaluations >= 0, got {budget!r}')
    info = {} if info is None else info
    info.update(generator_version=GENERATOR_VERSION, stopped='exact', evaluations=0, budget=0)
    welch = welch_bound(num_classes, dim)
    progress = Progress(welch) if verbose else None
    if num_classes <= dim:
        if method not in ('auto', 'orthonormal'):
            raise ValueError(f'method={method!r} is for N > d; N={num_classes} <= d={dim} gets an exact '
                             f'orthonormal basis from method="orthonormal" (or "auto")')
        info.update(method='orthonormal', start='orthonormal', start_coherence=0.0)
        return orthonormal_rows(num_classes, dim, seed)
    if method == 'orthonormal':
        raise ValueError(
            f'method="orthonormal" cannot place {num_classes} orthogonal vectors in {dim} dims: '
            f'use method="auto" (or "structured", "optimize"), or a dim >= {num_classes}')
    budget = default_budget(num_classes, dim) if budget is None else budget
    family = best_family(num_classes, dim, MIN_FILL)
    if method == 'auto':
        method = 'optimize'
        if family is not None:
            ratio = family.coherence / welch
            if ratio <= GOOD_FAMILY_RATIO or budget < RANDOM_MIN_BUDGET or \
                    (ratio <= FAIR_FAMILY_RATIO and num_classes >= OVERCOMPLETE * dim):
                method = 'structured'
    exact = family is not None and family.capacity == num_classes and family.dim == dim and \
        family.coherence <= welch * (1 + 1e-9)
    keep = None  # rows the refinement returns unless it finds better (default: its start)
    if method == 'structured':
        if family is None:
            raise ValueError(f'no algebraic family holds {num_classes} vectors in {dim} dims: use '
                             f'method="optimize" (or "auto")')
        powers = STRUCTURED_POWERS
        budget = 0 if exact else budget
        start = structured_start(family, num_classes, dim, seed)
        if budget > 0 and family.dim < dim:
            # refined from a tilted copy, which is worse than the family's own vectors: they are
            # kept unless the refinement finds better (refine's ``keep``)
            keep, start = start, structured_start(family, num_classes, dim, seed, tilt=PAD_TILT)
        info.update(start=f'{family.name}({family.param})', start_coherence=family.coherence)
        if progress:
            progress.line(f'{num_classes} x {dim}: start {family.name}({family.param}), '
                          f'{min(family.capacity, num_classes)} of {family.capacity} vectors in {family.dim} '
                          f'dims, max |cos| <= {progress.ratio(family.coherence)}' +
                          (' (an exact ETF)' if exact else ''))
    else:
        start = F.normalize(_gaussian(num_classes, dim, seed), dim=1)
        powers = RANDOM_POWERS
        info.update(start='random', start_coherence=None)
    info.update(method=method, budget=budget)
    if budget <= 0:
        info['stopped'] = 'exact' if exact else 'unrefined'
        return F.normalize(start.float(), dim=1).contiguous()
    if progress:
        progress.line(f'refining within at most {budget} evaluations of {evaluation_work(num_classes, dim):.1e} '
                      f'multiply-adds each (a stage ends early once it stops improving)')

    def report(state: dict) -> None:
        if progress:
            progress(state)
        if callback:
            callback(state)
    at_the_bound = welch * (1 + 1e-5)  # nothing left to gain
    target = at_the_bound if target is None else max(target, at_the_bound)
    out = refine(start, powers, budget, target, time_limit, report, info, history_size(num_classes, dim), keep)
    if progress:
        why = dict(budget='every evaluation spent', converged='every stage stopped improving before its share',
                   target='at the target', time_limit='at the time limit')[info['stopped']]
        progress.line(f'stopped after {info["evaluations"]} of {budget} evaluations ({info["stopped"]}: {why}); ' +
                      ('the best point it evaluated is returned' if info['improved'] else
                       'no point it evaluated beat the start, which is returned'))
    return out


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

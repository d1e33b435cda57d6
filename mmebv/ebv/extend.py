"""Extend a basis with more vectors, the old ones unchanged: new classes for a trained model.

The journal version of EBV (Shen et al., IJCV 2024) adds classes by appending basis vectors "of
equal status on the basis of existing EBVs", so that a trained model takes new categories without
its old class vectors moving. :func:`extend_basis` does that for any (N, d) basis (generated, a
basis file, one of the authors' converted files): the first N rows of the result are the old ones
bit for bit, and the M new rows are placed against old and new rows together as close to the Welch
bound of N + M in d as the generator can:

- N + M <= d: an exact orthonormal completion (the new rows are orthonormal and orthogonal to
  every old row);
- N + M > d: a seeded random start refined by the generator's L-BFGS on the annealed p-norm of
  :mod:`mmebv.ebv.refine`, with the old rows frozen, so only the block of pairs that hold a new row
  is computed ((M (N + M) d) multiply-adds per evaluation instead of (N + M)^2 d).

The old rows' own coherence is a floor no extension can go under; a fresh (N + M, d) basis is not
bound by it (``tools/misc/generate_ebv.py N_TOTAL D --extend OLD --out NEW`` prints both).

Pure torch; no OpenMMLab import.
"""
from typing import Callable, Optional

import torch
import torch.nn.functional as F

from .basis import DEFAULT_EVALUATIONS, DEFAULT_WORK, MIN_EVALUATIONS, RANDOM_POWERS, Progress, _gaussian, history_size
from .metrics import welch_bound
from .refine import moving_pairs_max, refine

# A row's norm may differ from 1 by this much (float32 rounding is ~1e-7); as in basis files.
UNIT_ATOL = 1e-4


def extension_work(num_old: int, num_total: int, dim: int) -> float:
    """Multiply-adds of one objective evaluation with ``num_old`` rows frozen: 2 M (N + M) d."""
    return 2.0 * (num_total - num_old) * num_total * dim


def extension_budget(num_old: int, num_total: int, dim: int, work: float = DEFAULT_WORK,
                     evaluations: int = DEFAULT_EVALUATIONS) -> int:
    """Objective evaluations an extension gets by default: ``min(evaluations, work / (2 M (N + M) d))``,
    0 when that is under 100 (the start is kept). A function of the sizes only."""
    evaluations = int(min(evaluations, work // extension_work(num_old, num_total, dim)))
    return evaluations if evaluations >= MIN_EVALUATIONS else 0


def check_extension(old: torch.Tensor, num_total: int) -> None:
    """Raise ``ValueError`` naming the fix when ``old`` cannot be extended to ``num_total`` rows."""
    if not isinstance(old, torch.Tensor) or old.dim() != 2 or old.shape[0] < 1 or old.shape[1] < 1:
        raise ValueError(f'a basis to extend is an (N, d) tensor with N, d >= 1, got '
                         f'{tuple(old.shape) if isinstance(old, torch.Tensor) else type(old).__name__}')
    num = old.shape[0]
    if isinstance(num_total, bool) or not isinstance(num_total, int) or num_total <= num:
        raise ValueError(f'extending a basis of {num} vectors needs a total of more than {num} vectors, got '
                         f'{num_total!r}: give N_TOTAL = N + M, the old N plus the new ones')
    if not torch.isfinite(old).all():
        raise ValueError('the basis to extend holds NaN or inf: it is not a basis')
    norms = old.detach().double().norm(dim=1)
    worst = int((norms - 1).abs().argmax())
    if abs(norms[worst].item() - 1) > UNIT_ATOL:
        raise ValueError(f'the basis to extend has a row that is not a unit vector (row {worst}, norm '
                         f'{norms[worst].item():.6g}): it is not a basis')


def orthonormal_completion(old: torch.Tensor, num_new: int, seed: int) -> torch.Tensor:
    """``num_new`` orthonormal rows orthogonal to every row of ``old`` (N, d), N + num_new <= d:
    the last columns of the Q factor of [oldᵀ | G], G a seeded Gaussian (d, num_new); (M, d) float32.
    Whatever the rank of ``old`` (a simplex ETF's rows sum to zero), Q's later columns are
    orthogonal to the span of its earlier ones, which holds every old row."""
    num, dim = old.shape
    stacked = torch.cat([old.detach().to('cpu', torch.float64).T, _gaussian(dim, num_new, seed)], dim=1)
    q, r = torch.linalg.qr(stacked)  # q: (d, N + M)
    diagonal = torch.diagonal(r)[num:]
    new = q[:, num:] * torch.where(diagonal < 0, -1.0, 1.0).to(q.dtype)
    return new.T.contiguous().float()


def extend_basis(old: torch.Tensor,
                 num_total: int,
                 seed: int = 0,
                 budget: Optional[int] = None,
                 target: Optional[float] = None,
                 time_limit: Optional[float] = None,
                 verbose: bool = False,
                 callback: Optional[Callable[[dict], None]] = None,
                 info: Optional[dict] = None) -> torch.Tensor:
    """``old`` (N, d) followed by ``num_total - N`` new unit rows placed against old and new rows.

    Args:
        old (Tensor): (N, d) unit rows; kept bit for bit (as float32).
        num_total (int): N + M > N, the rows of the result.
        seed (int): seed of the new rows' start. Defaults to 0.
        budget (int, optional): objective evaluations of the refinement (N + M > d only; each
            2 M (N + M) d multiply-adds). Defaults to :func:`extension_budget`.
        target (float, optional): stop once the pairs that hold a new row reach this |cos|. Never
            below the old rows' own coherence (nothing is gained there) or the Welch bound.
        time_limit (float, optional): stop refining after about this many seconds (the result then
            depends on the machine).
        verbose (bool): print progress to stderr. Defaults to False.
        callback (callable, optional): the refinement's progress dicts (:func:`~mmebv.ebv.refine.refine`).
        info (dict, optional): filled with ``method`` ('orthonormal completion' or 'refined'),
            ``num_old``, ``old_coherence`` (of the old rows among themselves), ``budget``,
            ``evaluations``, ``stopped``.

    Returns:
        Tensor: (N + M, d) float32; rows :N equal ``old``.

    Raises:
        ValueError: ``old`` is not an (N, d) tensor of finite unit rows, or ``num_total <= N``.
    """
    check_extension(old, num_total)
    num, dim = old.shape
    kept = old.detach().to('cpu', torch.float32).contiguous()
    info = {} if info is None else info
    old_coherence = moving_pairs_max(F.normalize(kept.double(), dim=1), 0) if num > 1 else 0.0
    info.update(num_old=num, old_coherence=old_coherence, budget=0, evaluations=0)
    if num_total <= dim:
        info.update(method='orthonormal completion', stopped='exact')
        return torch.cat([kept, orthonormal_completion(kept, num_total - num, seed)]).contiguous()
    budget = extension_budget(num, num_total, dim) if budget is None else budget
    if not isinstance(budget, int) or budget < 0:
        raise ValueError(f'budget is a number of objective evaluations >= 0, got {budget!r}')
    start = torch.cat([kept.double(), F.normalize(_gaussian(num_total - num, dim, seed), dim=1)])
    welch = welch_bound(num_total, dim)
    floor = max(welch * (1 + 1e-5), old_coherence)
    target = floor if target is None else max(target, floor)
    info.update(method='refined', budget=budget, stopped='unrefined')
    progress = Progress(welch, prefix='[extend_basis]') if verbose else None
    if progress:
        progress.line(f'{num} x {dim} -> {num_total} x {dim}: old rows frozen (their max |cos| '
                      f'{progress.ratio(old_coherence)}), {budget} evaluations of '
                      f'{extension_work(num, num_total, dim):.1e} multiply-adds')

    def report(state: dict) -> None:
        if progress:
            progress(state)
        if callback:
            callback(state)
    if budget > 0:
        new = refine(start, RANDOM_POWERS, budget, target, time_limit, report, info,
                     history_size(num_total, dim), frozen=num)[num:]
    else:
        new = start[num:].float()
    return torch.cat([kept, F.normalize(new.float(), dim=1)]).contiguous()

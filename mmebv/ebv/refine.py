"""Lower the coherence of a set of unit vectors by L-BFGS on an annealed p-norm of their |cos|.

The objective is ``(sum_{i != j} |cos_ij|^p)^(1/p)``, a smooth stand-in for the largest |cos| that
tends to it as p grows. p is raised stage by stage (each stage an L-BFGS run): small p spreads the
vectors evenly (p = 2 is minimised by every tight frame), large p flattens the top of the |cos|
distribution. The N x N matrix of cosines is never held whole: loss and gradient are accumulated
over row blocks in one pass, so memory is O(block * N) and time O(N^2 d) per evaluation.

The work is counted in objective evaluations, never in seconds: the same start, stages and budget
give the same vectors on any machine. A wall-clock limit, where one is given, is checked at every
evaluation and the result says that it stopped there.

Pure torch; no OpenMMLab import.
"""
import math
import time
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from .metrics import block_cos, block_rows

# Terms more than e^-50 below a block's largest are clamped there: as denormal floats they would
# slow every exp many times over, and they do not move the value.
CLAMP = 50.0


def pnorm_objective(x: torch.Tensor, power: float, scale: float, frozen: int = 0) -> Tuple[torch.Tensor, float]:
    """Value of the p-norm objective at ``x`` (rows normalised first), and the largest |cos| there;
    fills ``x.grad``.

    The value is ``scale * exp(logsumexp(p * log(|cos| / scale)) / p)``, which neither under- nor
    overflows for any p. One pass over row blocks: the logsumexp is accumulated online (a running
    maximum, earlier sums rescaled when it grows), and so is the gradient, written out by hand: with
    pi_ij the softmax weight of the ordered pair (i, j) and V the value, dV/dcos_ij = V pi_ij /
    cos_ij, and by symmetry the gradient of row i is 2 V sum_j pi_ij / cos_ij x_j, all of which lies
    in the row block of i.

    Args:
        x (Tensor): (N, d) rows, any norms; ``x.grad`` is set to the gradient.
        power (float): p.
        scale (float): a value near the largest |cos|, for the numerics only.
        frozen (int): the first ``frozen`` rows are fixed: only the pairs with at least one later
            row count (the old rows' own pairs are a constant), the work is that of the later rows'
            block, (N - frozen) N d, and their gradient is zero. Defaults to 0.
    """
    num = x.shape[0]
    rows = block_rows(num)
    with torch.no_grad():
        norms = x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        unit = x / norms
        grad = torch.empty_like(unit)
        grad[:frozen] = 0
        running, total, top = -math.inf, 0.0, -math.inf
        log_scale = math.log(scale)
        for start in range(frozen, num, rows):
            cos = block_cos(unit, start, rows)
            size = cos.abs().clamp_min_(1e-30)
            terms = size.log().sub_(log_scale).mul_(power)
            block_top = terms.max().item()
            top = max(top, block_top)
            terms.clamp_min_(block_top - CLAMP)
            if block_top > running:
                if start > frozen:
                    factor = math.exp(running - block_top)
                    grad[frozen:start] *= factor
                    total *= factor
                running = block_top
            weights = terms.sub_(running).exp_()
            total += weights.sum(dtype=torch.float64).item()
            if frozen:  # a pair (new, old) also stands as (old, new), outside these rows
                total += weights[:, :frozen].sum(dtype=torch.float64).item()
            weights.mul_(torch.sign(cos)).div_(size)
            grad[start:start + rows] = weights @ unit
        value = scale * math.exp((running + math.log(total)) / power)
        grad *= 2 * value / total
        radial = (grad * unit).sum(dim=1, keepdim=True)
        x.grad = (grad - radial * unit) / norms
    return torch.tensor(value, dtype=x.dtype), scale * math.exp(top / power)


@torch.no_grad()
def moving_pairs_max(unit: torch.Tensor, frozen: int) -> float:
    """The largest |cos| over the pairs of rows of ``unit`` (N, d), unit rows, with at least one
    row at or after ``frozen``."""
    rows, top = block_rows(unit.shape[0]), 0.0
    for start in range(frozen, unit.shape[0], rows):
        top = max(top, block_cos(unit, start, rows).abs_().max().item())
    return top


class _Stop(Exception):

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _StageEnd(Exception):
    pass


def stage_budgets(budget: int, stages: int) -> list:
    """Split ``budget`` evaluations over ``stages`` stages, the remainder to the first ones."""
    return [budget // stages + (1 if k < budget % stages else 0) for k in range(stages)]


def refine(start: torch.Tensor,
           powers: Sequence[float],
           budget: int,
           target: Optional[float] = None,
           time_limit: Optional[float] = None,
           callback: Optional[Callable[[dict], None]] = None,
           info: Optional[dict] = None,
           history: int = 20,
           keep: Optional[torch.Tensor] = None,
           frozen: int = 0) -> torch.Tensor:
    """Run the p-norm stages from ``start`` within ``budget`` objective evaluations; return the rows
    of least coherence seen, never rows of higher coherence than ``start`` (or ``keep``).

    Args:
        start (Tensor): (N, d) starting vectors.
        powers (Sequence[float]): p of each stage, increasing.
        budget (int): objective evaluations in all (each about 4 N^2 d flops), split evenly over
            the stages; L-BFGS's line-search trials count.
        target (float, optional): stop as soon as the coherence is at most this.
        time_limit (float, optional): stop after this many seconds, checked at every evaluation.
            The result then depends on the machine's speed; ``info['stopped']`` says so.
        callback (callable, optional): called at the start and after every evaluation with a dict:
            ``evaluations``, ``budget``, ``stage``, ``stages``, ``power``, ``max`` (coherence of the
            last evaluated point, or of the start), ``best``, ``seconds``.
        info (dict, optional): filled with ``stopped`` (``'budget'``: every evaluation spent;
            ``'converged'``: every stage's L-BFGS stopped early, no longer moving; ``'target'``,
            ``'time_limit'``), ``evaluations``, ``stage`` and ``budget``, and ``improved`` (whether
            the rows returned are not the start or ``keep``).
        history (int): L-BFGS history pairs (each two N x d tensors). Defaults to 20.
        keep (Tensor, optional): (N, d) rows to return unless an evaluated point has a lower
            coherence; the best so far from the outset. For a start that is a perturbed copy of
            better rows (an algebraic family tilted out of its subspace), so that the refinement
            never ends worse than what it was given. Defaults to None: the start.
        frozen (int): keep the first ``frozen`` rows where they are and move only the others,
            against old and new rows alike (extending a basis, :func:`mmebv.ebv.extend.extend_basis`);
            the coherence tracked is then that of the pairs with at least one moving row. The
            returned frozen rows equal the start's up to normalisation. Defaults to 0.

    Returns:
        Tensor: (N, d) float32 unit rows.
    """
    from .metrics import coherence  # the start's coherence, over all pairs
    began = time.perf_counter()
    if not 0 <= frozen < start.shape[0]:
        raise ValueError(f'frozen={frozen} must leave at least one of the {start.shape[0]} rows to move')
    if frozen and keep is not None:
        raise ValueError('keep and frozen cannot be combined')
    x = F.normalize(start.float(), dim=1).requires_grad_(True)
    first = coherence(x.detach())['max'] if not frozen else moving_pairs_max(x.detach(), frozen)
    state = dict(best=x.detach().clone(), max=first, evaluations=0, stage=0, power=None, improved=False)
    if keep is not None:
        if keep.shape != start.shape:
            raise ValueError(f'keep has shape {tuple(keep.shape)} and the start {tuple(start.shape)}: '
                             'give rows of the same shape')
        kept = F.normalize(keep.float(), dim=1)
        kept_max = coherence(kept)['max']
        if kept_max <= state['max']:
            state['best'], state['max'] = kept, kept_max

    def report(current: float) -> None:
        if callback is not None:
            callback(dict(evaluations=state['evaluations'], budget=budget, stage=state['stage'],
                          stages=len(powers), power=state['power'], max=current, best=state['max'],
                          seconds=time.perf_counter() - began))

    def objective(power: float, scale: float, limit: int) -> torch.Tensor:
        if time_limit is not None and time.perf_counter() - began > time_limit:
            raise _Stop('time_limit')
        if state['evaluations'] >= limit:
            raise _StageEnd  # also inside a line search, which L-BFGS's max_eval does not bound
        value, current = pnorm_objective(x, power, scale, frozen)
        state['evaluations'] += 1
        if current < state['max']:  # every evaluated point counts, line-search trials too
            state['best'], state['max'] = F.normalize(x.detach(), dim=1), current
            state['improved'] = True
        report(current)
        if target is not None and current <= target:
            raise _Stop('target')
        return value

    stopped = 'budget'
    report(state['max'])
    try:
        if target is not None and state['max'] <= target:
            raise _Stop('target')
        for stage, (power, evaluations) in enumerate(zip(powers, stage_budgets(budget, len(powers))), 1):
            if evaluations <= 0:
                continue
            state['stage'], state['power'] = stage, power
            limit = state['evaluations'] + evaluations
            optimizer = torch.optim.LBFGS([x], lr=1, max_iter=evaluations, max_eval=evaluations,
                                          history_size=history, tolerance_grad=1e-10, tolerance_change=1e-10,
                                          line_search_fn='strong_wolfe')
            scale = state['max']
            try:
                optimizer.step(lambda: objective(power, scale, limit))
            except _StageEnd:
                pass
            with torch.no_grad():
                x[frozen:] = F.normalize(x[frozen:], dim=1)
        if state['evaluations'] < budget:
            stopped = 'converged'  # each stage's L-BFGS ended before its share: nothing left to gain there
    except _Stop as stop:
        stopped = stop.reason
    if info is not None:
        info.update(stopped=stopped, evaluations=state['evaluations'], stage=state['stage'], budget=budget,
                    improved=state['improved'])
    return state['best'].contiguous()

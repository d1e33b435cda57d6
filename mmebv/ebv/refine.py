"""Lower the coherence of a set of unit vectors by L-BFGS on an annealed p-norm of their |cos|.

The objective is ``(sum_{i != j} |cos_ij|^p)^(1/p)``, a smooth stand-in for the largest |cos| that
tends to it as p grows. p is raised stage by stage (each stage an L-BFGS run): small p spreads the
vectors evenly (p = 2 is minimised by every tight frame), large p flattens the top of the |cos|
distribution. The N x N matrix of cosines is never held whole: loss and gradient are accumulated
over row blocks, so memory is O(block * N) and time O(N^2 d) per evaluation.

Pure torch; no OpenMMLab import.
"""
import math
import time
from typing import Callable, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

from .metrics import block_cos, block_rows, coherence


def pnorm_objective(x: torch.Tensor, power: float, scale: float) -> Tuple[torch.Tensor, float]:
    """Value of the p-norm objective at ``x`` (rows normalised first), and the largest |cos| there
    (float32); fills ``x.grad``.

    The value is ``scale * exp(logsumexp(p * log(|cos| / scale)) / p)``, which neither under- nor
    overflows for any p; terms more than e^-50 below a block's largest are clamped there (as
    denormal floats they would slow every exp many times over, and they do not move the value).
    The gradient is written out by hand: with pi_ij the softmax weight of pair (i, j) and V the
    value, dV/dcos_ij = V pi_ij / cos_ij, and every ordered pair lies in the row block of i.
    """
    num = x.shape[0]
    rows = block_rows(num)
    starts = range(0, num, rows)
    with torch.no_grad():
        norms = x.norm(dim=1, keepdim=True).clamp_min(1e-12)
        unit = x / norms

        def block_terms(start: int) -> tuple:
            cos = block_cos(unit, start, rows)
            terms = power * (cos.abs() / scale).clamp_min(1e-30).log()
            return cos, terms.clamp_min(terms.max() - 50.0)

        cached = block_terms(0) if len(starts) == 1 else None
        if cached is not None:
            total, top = torch.logsumexp(cached[1].flatten(), 0), cached[1].max()
        else:
            summary = torch.stack([torch.stack([torch.logsumexp(terms.flatten(), 0), terms.max()])
                                   for terms in (block_terms(s)[1] for s in starts)])  # a block at a time
            total, top = torch.logsumexp(summary[:, 0], 0), summary[:, 1].max()
        value = scale * torch.exp(total / power)
        grad = torch.zeros_like(unit)
        for start in starts:
            cos, terms = cached if cached is not None else block_terms(start)
            weight = value * torch.exp(terms - total) * torch.sign(cos) / cos.abs().clamp_min(1e-30)
            grad[start:start + rows] += weight @ unit
            grad += weight.T @ unit[start:start + rows]
        radial = (grad * unit).sum(dim=1, keepdim=True)
        x.grad = (grad - radial * unit) / norms
    return value, scale * math.exp(top.item() / power)


class _TargetReached(Exception):
    pass


def refine(start: torch.Tensor,
           powers: Sequence[float],
           iters_per_power: int,
           target: Optional[float] = None,
           time_limit: Optional[float] = None,
           callback: Optional[Callable[[dict], None]] = None) -> torch.Tensor:
    """Run the p-norm stages from ``start``; return the rows of least coherence seen.

    Args:
        start (Tensor): (N, d) starting vectors.
        powers (Sequence[float]): p of each stage, increasing.
        iters_per_power (int): L-BFGS iterations per stage.
        target (float, optional): stop as soon as the coherence is at most this.
        time_limit (float, optional): stop after this many seconds (checked between stages).
        callback (callable, optional): called at the start and after each stage with a dict:
            ``stage``, ``power``, ``max`` (coherence now), ``best`` and ``seconds`` so far.

    Returns:
        Tensor: (N, d) float32 unit rows.
    """
    began = time.perf_counter()
    state = dict(best=F.normalize(start.float(), dim=1))
    state['max'] = coherence(state['best'])['max']
    x = state['best'].clone().requires_grad_(True)

    def report(stage: int, power: Optional[float], current: float) -> None:
        if callback is not None:
            callback(dict(stage=stage, power=power, max=current, best=state['max'],
                          seconds=time.perf_counter() - began))

    def objective(power: float, scale: float) -> torch.Tensor:
        value, current = pnorm_objective(x, power, scale)
        if current < state['max']:  # every evaluated point counts, line-search trials too
            state['best'], state['max'] = F.normalize(x.detach(), dim=1), current
            if target is not None and current <= target:
                raise _TargetReached
        return value

    report(0, None, state['max'])
    for stage, power in enumerate(powers, 1):
        if (target is not None and state['max'] <= target) or \
                (time_limit is not None and time.perf_counter() - began > time_limit):
            break
        optimizer = torch.optim.LBFGS([x], lr=1, max_iter=iters_per_power, history_size=20,
                                      tolerance_grad=1e-10, tolerance_change=1e-10,
                                      line_search_fn='strong_wolfe')
        scale = state['max']
        try:
            optimizer.step(lambda: objective(power, scale))
        except _TargetReached:
            report(stage, power, state['max'])
            break
        with torch.no_grad():
            x.copy_(F.normalize(x, dim=1))
        report(stage, power, coherence(x.detach())['max'])
    return state['best'].contiguous()

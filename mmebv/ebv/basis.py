"""Equiangular basis vectors: generation, coherence and the Welch bound.

Pure torch; imports no OpenMMLab package.
"""
import hashlib
import math
from typing import Dict, Optional

import torch
import torch.nn.functional as F

METHODS = ('auto', 'orthonormal', 'optimize')


def welch_bound(num_classes: int, dim: int) -> float:
    """The smallest coherence any ``num_classes`` unit vectors in ``dim`` dims can have.

    Args:
        num_classes (int): number of vectors N.
        dim (int): their dimension d.

    Returns:
        float: ``sqrt((N - d) / (d (N - 1)))`` for N > d, else 0 (an orthonormal set exists).
    """
    _check_sizes(num_classes, dim)
    if num_classes <= dim:
        return 0.0
    return math.sqrt((num_classes - dim) / (dim * (num_classes - 1)))


@torch.no_grad()
def coherence(basis: torch.Tensor, chunk_size: int = 4096) -> Dict[str, float]:
    """Statistics of the off-diagonal |cos| between the rows of ``basis``.

    The N x N matrix is never built: rows are compared ``chunk_size`` at a time, so memory is
    O(chunk_size * N).

    Args:
        basis (Tensor): (N, d) vectors; rows need not be normalised.
        chunk_size (int): rows per block. Defaults to 4096.

    Returns:
        dict: ``max`` and ``mean`` of |cos| over all pairs i != j, and ``min_angle_deg``, the
        smallest angle between two of the lines the rows span.
    """
    if basis.dim() != 2 or basis.shape[0] < 2:
        raise ValueError(f'coherence needs an (N, d) tensor with N >= 2, got shape {tuple(basis.shape)}')
    unit = F.normalize(basis.double(), dim=1)
    n = unit.shape[0]
    worst, total = 0.0, 0.0
    for start in range(0, n, chunk_size):
        block = (unit[start:start + chunk_size] @ unit.T).abs_()
        rows = torch.arange(block.shape[0])
        block[rows, rows + start] = 0  # drop the diagonal
        worst = max(worst, block.max().item())
        total += block.sum().item()
    worst = min(worst, 1.0)
    return dict(max=worst, mean=total / (n * (n - 1)), min_angle_deg=math.degrees(math.acos(worst)))


def generate_ebv(num_classes: int,
                 dim: int,
                 seed: int = 0,
                 method: str = 'auto',
                 steps: int = 500,
                 lr: float = 0.01,
                 tol: float = 1e-4,
                 verbose: bool = False) -> torch.Tensor:
    """Generate ``num_classes`` unit vectors in ``dim`` dims that are as close to orthogonal as
    possible.

    Args:
        num_classes (int): N, the number of vectors (classes).
        dim (int): d, their dimension.
        seed (int): seed of the random start; the same arguments give the same basis.
            Defaults to 0.
        method (str): ``'orthonormal'`` (N <= d only): the Q factor of a seeded Gaussian matrix,
            exactly orthonormal. ``'optimize'``: gradient descent on a smooth maximum of the
            pairwise |cos|, for N > d. ``'auto'`` picks the first when N <= d, else the second.
            Defaults to ``'auto'``.
        steps (int): optimisation steps of ``'optimize'``. Defaults to 500.
        lr (float): its Adam learning rate. Defaults to 0.01.
        tol (float): ``'optimize'`` stops once the coherence is within ``tol`` of the Welch
            bound. Defaults to 1e-4.
        verbose (bool): print progress of ``'optimize'``. Defaults to False.

    Returns:
        Tensor: (N, d) float32, unit rows.
    """
    _check_sizes(num_classes, dim)
    if method not in METHODS:
        raise ValueError(f'unknown EBV method {method!r}: choose one of {METHODS}')
    if method == 'auto':
        method = 'orthonormal' if num_classes <= dim else 'optimize'
    if method == 'orthonormal':
        if num_classes > dim:
            raise ValueError(
                f'method="orthonormal" cannot place {num_classes} orthogonal vectors in {dim} dims: '
                f'use method="optimize" (or "auto"), or a dim >= {num_classes}')
        return _orthonormal(num_classes, dim, seed)
    return _optimize(num_classes, dim, seed, steps, lr, tol, verbose)


def _check_sizes(num_classes: int, dim: int) -> None:
    if not (isinstance(num_classes, int) and isinstance(dim, int)) or num_classes < 1 or dim < 1:
        raise ValueError(f'num_classes and dim must be positive integers, got {num_classes!r} and {dim!r}')


def _gaussian(num_classes: int, dim: int, seed: int) -> torch.Tensor:
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(num_classes, dim, generator=generator, dtype=torch.float64)


def _orthonormal(num_classes: int, dim: int, seed: int) -> torch.Tensor:
    q, r = torch.linalg.qr(_gaussian(dim, num_classes, seed))  # q: (d, N), orthonormal columns
    q = q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, torch.ones(1, dtype=r.dtype))
    return q.T.contiguous().float()


def _optimize(num_classes: int, dim: int, seed: int, steps: int, lr: float, tol: float,
              verbose: bool) -> torch.Tensor:
    """Adam on the sphere against an annealed p-norm of the pairwise |cos| (a smooth max).

    The whole N x N Gram matrix is formed each step: O(N^2 d) time, O(N^2) memory.
    """
    bound = welch_bound(num_classes, dim)
    x = F.normalize(_gaussian(num_classes, dim, seed).float(), dim=1).requires_grad_(True)
    optimizer = torch.optim.Adam([x], lr=lr)
    identity = torch.eye(num_classes)
    best, best_max = x.detach().clone(), float('inf')
    for step in range(steps):
        progress = step / max(steps - 1, 1)
        power = 8.0 * 16.0**progress  # 8 -> 128: from the mean-like to the max-like
        for group in optimizer.param_groups:
            group['lr'] = lr * 0.5 * (1 + math.cos(math.pi * progress)) + lr * 0.01
        unit = F.normalize(x, dim=1)
        cos = (unit @ unit.T - identity).abs()  # the diagonal (|cos| = 1) drops out
        current_max = cos.max().detach()
        if current_max.item() < best_max:
            best_max, best = current_max.item(), unit.detach().clone()
            if best_max - bound <= tol:
                break
        # p-norm scaled by the current max; terms below e^-80 are dropped, as denormal floats
        # would slow every step down many times over.
        log_ratio = torch.log((cos / current_max).clamp_min(1e-30))
        loss = current_max * torch.exp((power * log_ratio).clamp_min(-80.0)).sum().pow(1.0 / power)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            x.copy_(F.normalize(x, dim=1))
        if verbose and (step % 100 == 0 or step == steps - 1):
            print(f'[generate_ebv] step {step:5d}/{steps}  max|cos| {best_max:.5f}  Welch {bound:.5f}',
                  flush=True)
    return F.normalize(best, dim=1).contiguous()


def basis_checksum(basis: torch.Tensor) -> str:
    """SHA-256 of the basis as contiguous little-endian float32 bytes."""
    data = basis.detach().to('cpu', torch.float32).contiguous().numpy().astype('<f4', copy=False)
    return hashlib.sha256(data.tobytes()).hexdigest()


def describe(basis: torch.Tensor, seed: Optional[int] = None, method: Optional[str] = None) -> dict:
    """Plain-Python metadata of a basis: sizes, seed, method, coherence and checksum."""
    num_classes, dim = basis.shape
    stats = coherence(basis) if num_classes > 1 else dict(max=0.0, mean=0.0, min_angle_deg=90.0)
    return dict(num_classes=int(num_classes), dim=int(dim), seed=seed, method=method,
                coherence_max=stats['max'], coherence_mean=stats['mean'],
                welch_bound=welch_bound(int(num_classes), int(dim)), checksum=basis_checksum(basis))

"""How good a set of unit vectors is: coherence (largest pairwise |cos|) and the Welch bound.

Pure torch; no OpenMMLab import.
"""
import math
from typing import Callable, Dict, Optional

import torch
import torch.nn.functional as F

MAX_BLOCK_ELEMENTS = 2**24  # one block of cosines: 64 MiB in float32


def block_rows(num: int) -> int:
    """Rows per block so that a (rows, num) block of cosines stays under ``MAX_BLOCK_ELEMENTS``."""
    return max(1, min(num, MAX_BLOCK_ELEMENTS // num))


def block_cos(unit: torch.Tensor, start: int, rows: int) -> torch.Tensor:
    """cos of rows ``start:start+rows`` of ``unit`` against all its rows, self-pairs set to 0:
    (rows, N)."""
    block = unit[start:start + rows] @ unit.T
    index = torch.arange(block.shape[0])
    block[index, index + start] = 0
    return block


def welch_bound(num_classes: int, dim: int) -> float:
    """The smallest coherence any ``num_classes`` unit vectors in ``dim`` dims can have.

    Args:
        num_classes (int): number of vectors N.
        dim (int): their dimension d.

    Returns:
        float: ``sqrt((N - d) / (d (N - 1)))`` for N > d, else 0 (an orthonormal set exists).
    """
    check_sizes(num_classes, dim)
    if num_classes <= dim:
        return 0.0
    return math.sqrt((num_classes - dim) / (dim * (num_classes - 1)))


def check_sizes(num_classes: int, dim: int) -> None:
    if not (isinstance(num_classes, int) and isinstance(dim, int)) or num_classes < 1 or dim < 1:
        raise ValueError(f'num_classes and dim must be positive integers, got {num_classes!r} and {dim!r}')


@torch.no_grad()
def coherence(basis: torch.Tensor, chunk_size: Optional[int] = None,
              dtype: Optional[torch.dtype] = None,
              progress: Optional[Callable[[int, int], None]] = None) -> Dict[str, float]:
    """Statistics of the off-diagonal |cos| between the rows of ``basis``, over all pairs.

    The N x N matrix is never built: rows are compared ``chunk_size`` at a time.

    Args:
        basis (Tensor): (N, d) vectors; rows need not be normalised.
        chunk_size (int, optional): rows per block. Defaults to a block of at most 2^24 cosines.
        dtype (torch.dtype, optional): precision of the products. Defaults to float64 up to
            N^2 d = 10^11 multiply-adds, float32 beyond (error ~1e-6, far below any gap that matters).
        progress (callable, optional): called after each block with (rows done, N); every block
            costs the same (its rows against all N).

    Returns:
        dict: ``max`` and ``mean`` of |cos| over all pairs i != j, and ``min_angle_deg``, the
        smallest angle between two of the lines the rows span.
    """
    if basis.dim() != 2 or basis.shape[0] < 2:
        raise ValueError(f'coherence needs an (N, d) tensor with N >= 2, got shape {tuple(basis.shape)}')
    n, d = basis.shape
    if dtype is None:
        dtype = torch.float64 if n * n * d <= 1e11 else torch.float32
    unit = F.normalize(basis.to(dtype), dim=1)
    chunk_size = chunk_size or block_rows(n)
    worst, total = 0.0, 0.0
    for start in range(0, n, chunk_size):
        block = block_cos(unit, start, chunk_size).abs_()
        worst = max(worst, block.max().item())
        total += block.sum(dtype=torch.float64).item()
        if progress is not None:
            progress(min(start + chunk_size, n), n)
    worst = min(worst, 1.0)
    return dict(max=worst, mean=total / (n * (n - 1)), min_angle_deg=math.degrees(math.acos(worst)))

"""Real equiangular tight frames (ETFs) built exactly: N unit vectors in d dims whose pairwise |cos|
all equal the Welch bound sqrt((N - d) / (d (N - 1))), the smallest coherence N lines in d dims can
have (an optimal line packing). Their cosines are equal in magnitude, not in sign: they are one family of the
structured starts of EBV generation (:mod:`mmebv.ebv.structured`), not the simplex ETF, whose N
vectors all meet at cosine -1/(N - 1) (the ``SimplexETF`` basis of :mod:`mmebv.classifiers.bases`).

Every construction gives a Seidel matrix S (N x N, zero diagonal, +-1 elsewhere) with exactly two
eigenvalues; then G = I + mu S, for the one sign that makes G positive semidefinite, is the Gram
matrix of an ETF of rank d, and G = I - mu' S that of its Naimark complement in N - d dims (Sustik,
Tropp, Dhillon & Heath, "On the existence of equiangular tight frames", LAA 2007; Fickus & Mixon,
"Tables of the existence of equiangular tight frames", arXiv 1504.00253). The constructions:

- ``paley``: the symmetric conference matrix of the quadratic residues mod a prime q = 1 (mod 4):
  N = q + 1, d = (q + 1) / 2 (its own complement).
- ``kronecker``: S = H - (-1)^k I with H = (J_4 - 2 I_4)^(x k), a symmetric Hadamard matrix of
  constant diagonal: N = 4^k, d = 2^(k-1) (2^k -+ 1).
- ``steiner-pairs``: the Steiner ETF of the design of all pairs of v points with a real Hadamard
  matrix of order v (Fickus, Mixon & Tremain, "Steiner equiangular tight frames", LAA 2012,
  arXiv 1009.5730): N = v^2, d = v (v - 1) / 2.
- ``steiner-pg``: the Steiner ETF of the lines of PG(m-1, 2) (a Steiner triple system on 2^m - 1
  points) with the Sylvester matrix of order 2^(m-1): N = (2^m - 1) 2^(m-1), d = (2^m - 1)(2^(m-1) - 1) / 3.
- ``latin``: S = J - I - 2A for the Latin-square graph of the cyclic square of order 6
  (SRG(36, 15, 6, 6)): N = 36, d = 15 or 21.

The Kronecker frames and the Steiner ETFs are written down entry by entry. The others (Paley,
Latin square, the complements) are read off their Gram matrix by a pivoted Cholesky factorisation
whose pivot rule does not depend on rounding (:func:`gram_factor`): no eigenvector is chosen, so
the vectors do not depend on how a LAPACK picks a basis of a degenerate eigenspace, and they are
the same on any machine up to rounding.

Pure numpy/torch; no OpenMMLab import.
"""
import math
from dataclasses import dataclass
from typing import Dict, List, Optional

import numpy as np
import torch

MAX_ETF_VECTORS = 4096
# Frames read off their Gram matrix: its factorisation takes seconds at 2400 vectors.
MAX_GRAM_VECTORS = 2400


def is_prime(n: int) -> bool:
    return n >= 2 and all(n % k for k in range(2, int(math.isqrt(n)) + 1))


def _legendre(q: int) -> np.ndarray:
    """chi(x) for x in 0..q-1: 0 at 0, 1 on the quadratic residues, -1 elsewhere."""
    chi = -np.ones(q)
    chi[(np.arange(1, q)**2) % q] = 1.0
    chi[0] = 0.0
    return chi


def _jacobsthal(q: int) -> np.ndarray:
    index = np.arange(q)
    return _legendre(q)[(index[:, None] - index[None, :]) % q]


def conference_matrix(q: int) -> np.ndarray:
    """The symmetric conference matrix of order q + 1, q a prime = 1 (mod 4): C^2 = q I."""
    conference = np.zeros((q + 1, q + 1))
    conference[0, 1:] = conference[1:, 0] = 1.0
    conference[1:, 1:] = _jacobsthal(q)
    return conference


def hadamard(order: int) -> Optional[np.ndarray]:
    """A real Hadamard matrix (entries +-1, H H^T = order I) by Sylvester doubling and Paley's two
    constructions (p a prime = 3 mod 4 gives order p + 1; q a prime = 1 mod 4 gives 2 (q + 1)), or
    None when none of these reaches ``order``."""
    if order == 1:
        return np.ones((1, 1))
    if order == 2:
        return np.array([[1.0, 1.0], [1.0, -1.0]])
    if order % 4:
        return None
    p = order - 1
    if is_prime(p) and p % 4 == 3:  # Paley I
        core = _jacobsthal(p) + np.eye(p)
        out = np.ones((order, order))
        out[1:, 0] = -1.0
        out[1:, 1:] = core
        return out
    q = order // 2 - 1
    if is_prime(q) and q % 4 == 1:  # Paley II
        return np.kron(conference_matrix(q), np.array([[1.0, 1.0], [1.0, -1.0]])) + \
            np.kron(np.eye(q + 1), np.array([[1.0, -1.0], [-1.0, -1.0]]))
    half = hadamard(order // 2)
    return None if half is None else np.block([[half, half], [half, -half]])


def steiner_vectors(blocks: List[tuple], num_points: int, had: np.ndarray) -> np.ndarray:
    """The Steiner ETF of a 2-(v, k, 1) design (Fickus, Mixon & Tremain 2012): for each point, the
    r rows of the Hadamard matrix (order r + 1, first row made all ones, then dropped) placed in
    the r blocks through that point. Returns (v (r + 1), b) unit rows."""
    had = had * had[0][None, :]  # first row all ones
    r = had.shape[0] - 1
    through = [[] for _ in range(num_points)]
    for index, block in enumerate(blocks):
        for point in block:
            through[point].append(index)
    out = np.zeros((num_points * (r + 1), len(blocks)))
    for point, rows in enumerate(through):
        if len(rows) != r:
            raise ValueError(f'point {point} lies on {len(rows)} blocks, {r} expected')
        out[point * (r + 1):(point + 1) * (r + 1), rows] = had[1:].T
    return out / math.sqrt(r)


def _seidel_from_vectors(vectors: np.ndarray) -> np.ndarray:
    gram = vectors @ vectors.T
    mu = np.abs(gram[0, 1:]).max()
    seidel = np.round(gram / mu)
    np.fill_diagonal(seidel, 0.0)
    return seidel


def seidel_matrix(kind: str, param: int) -> np.ndarray:
    """The Seidel matrix (N x N, float64) of construction ``kind`` (see the module docstring)."""
    if kind == 'paley':
        return conference_matrix(param)
    if kind == 'kronecker':
        factor = np.ones((4, 4)) - 2 * np.eye(4)
        had = np.ones((1, 1))
        for _ in range(param):
            had = np.kron(had, factor)
        return had - (-1)**param * np.eye(4**param)
    if kind == 'steiner-pairs':
        pairs = [(a, b) for a in range(param) for b in range(a + 1, param)]
        return _seidel_from_vectors(steiner_vectors(pairs, param, hadamard(param)))
    if kind == 'steiner-pg':
        return _seidel_from_vectors(steiner_vectors(_pg_lines(param), 2**param - 1, hadamard(2**(param - 1))))
    if kind == 'latin':
        cells = [(i, j, (i + j) % param) for i in range(param) for j in range(param)]
        adjacent = np.array([[float(a != b and (a[0] == b[0] or a[1] == b[1] or a[2] == b[2])) for b in cells]
                             for a in cells])
        return np.ones_like(adjacent) - np.eye(len(cells)) - 2 * adjacent
    raise ValueError(f'unknown ETF construction {kind!r}')


@dataclass(frozen=True)
class ETF:
    """A construction and the frames built from it: ``num`` vectors in each of ``dims`` dims."""
    kind: str
    param: int
    num: int
    dims: tuple


def catalogue(max_vectors: int = MAX_ETF_VECTORS) -> List[ETF]:
    """Every frame of the module docstring with at most ``max_vectors`` vectors. A frame read off
    its Gram matrix (Paley, the complements of the Steiner ETFs, Latin square) needs at most
    ``MAX_GRAM_VECTORS``; the Kronecker frames and the Steiner ETFs are written down directly."""
    out = []
    gram_ok = lambda num: num <= MAX_GRAM_VECTORS  # noqa: E731
    for q in range(5, min(max_vectors, MAX_GRAM_VECTORS), 4):
        if is_prime(q):
            out.append(ETF('paley', q, q + 1, ((q + 1) // 2, )))
    for k in range(2, 7):
        u = 2**(k - 1)
        out.append(ETF('kronecker', k, 4**k, (u * (2 * u - 1), u * (2 * u + 1))))
    for v in range(4, int(math.isqrt(max_vectors)) + 1, 4):
        if hadamard(v) is not None:
            b = v * (v - 1) // 2
            out.append(ETF('steiner-pairs', v, v * v, (b, v * v - b) if gram_ok(v * v) else (b, )))
    for m in range(3, 7):
        v, r = 2**m - 1, 2**(m - 1) - 1
        b, num = v * r // 3, v * (r + 1)
        out.append(ETF('steiner-pg', m, num, (b, num - b) if gram_ok(num) else (b, )))
    out.append(ETF('latin', 6, 36, (15, 21)))
    return [etf for etf in out if etf.num <= max_vectors]


def etf_coherence(num: int, dim: int) -> float:
    """The common |cos| of an ETF of ``num`` vectors in ``dim`` < ``num`` dims: the Welch bound."""
    return math.sqrt((num - dim) / (dim * (num - 1)))


def gram_factor(gram: torch.Tensor, rank: int, tol: float = 1e-6) -> torch.Tensor:
    """Rows X (N, rank) with X X^T = ``gram``, by a pivoted Cholesky factorisation whose pivot
    rule does not depend on rounding: scan the rows in index order and take the first whose
    residual diagonal exceeds a threshold, lowering it (1/4, 1/16, ...) only when no row is left
    above it. Large pivots keep the factorisation stable.

    Raises:
        ValueError: ``gram`` is not positive semidefinite of rank ``rank``.
    """
    num = gram.shape[0]
    columns = torch.zeros(rank, num, dtype=torch.float64)  # the factor's columns
    left = gram.diagonal().clone()  # residual diagonal
    if (left < -tol).any():
        raise ValueError('the Gram matrix is not positive semidefinite')
    found, threshold = 0, 0.25 * left.max().item()
    while found < rank and threshold > tol:
        for i in range(num):
            if found == rank:
                break
            if left[i] > threshold:
                residual = gram[i] - columns[:found].T @ columns[:found, i]
                columns[found] = residual / residual[i].sqrt()
                left -= columns[found]**2
                left[i] = 0.0
                found += 1
        threshold /= 4
    if found != rank or left.max() > 1e3 * tol or left.min() < -1e3 * tol:
        raise ValueError(f'the Gram matrix is not positive semidefinite of rank {rank}')
    return columns.T.contiguous()


_FRAMES: Dict[tuple, torch.Tensor] = {}


def sylvester_hadamard(order: int) -> np.ndarray:
    """The Sylvester-Hadamard matrix of ``order`` = 2^m: entries +-1, orthogonal rows. (order, order)."""
    if order < 1 or order & (order - 1):
        raise ValueError(f'a Sylvester-Hadamard matrix has an order that is a power of 2, got {order}')
    out = np.ones((1, 1))
    while out.shape[0] < order:
        out = np.block([[out, out], [out, -out]])
    return out


def kronecker_vectors(k: int, dim: int) -> np.ndarray:
    """The ETF of S = (J_4 - 2 I_4)^(x k) - (-1)^k I written down: the eigenvectors of J_4 - 2 I_4
    are the rows of the Sylvester matrix of order 4 (the first for eigenvalue 2, the others for
    -2), so those of the Kronecker power are the columns of the Sylvester matrix of order 4^k, with
    eigenvalue +-2^k as their index has an even or odd number of nonzero base-4 digits. The frame
    in ``dim`` dims is the eigenspace of that size, scaled: (4^k, dim) rows with entries
    +-1/sqrt(dim)."""
    num = 4**k
    sylvester = sylvester_hadamard(num)
    digits = np.zeros(num, np.int64)
    for position in range(k):
        digits += (np.arange(num) // 4**position) % 4 != 0
    for parity in (0, 1):
        keep = digits % 2 == parity
        if keep.sum() == dim:
            return sylvester[:, keep] / math.sqrt(dim)
    raise ValueError(f'kronecker({k}) gives no ETF in {dim} dims')


def etf_vectors(kind: str, param: int, dim: int) -> torch.Tensor:
    """All vectors of the ETF of construction ``kind(param)`` in ``dim`` dims (one of its sizes in
    :func:`catalogue`): (N, dim) float64 unit rows, pairwise |cos| equal to the Welch bound within
    1e-7 (checked). Deterministic; kept in memory once built."""
    key = (kind, param, dim)
    if key in _FRAMES:
        return _FRAMES[key]
    if kind == 'kronecker':
        vectors = torch.from_numpy(kronecker_vectors(param, dim))
    elif kind == 'steiner-pairs' and dim == param * (param - 1) // 2:
        pairs = [(a, b) for a in range(param) for b in range(a + 1, param)]
        vectors = torch.from_numpy(steiner_vectors(pairs, param, hadamard(param)))
    elif kind == 'steiner-pg' and dim == (2**param - 1) * (2**(param - 1) - 1) // 3:
        vectors = torch.from_numpy(steiner_vectors(_pg_lines(param), 2**param - 1, hadamard(2**(param - 1))))
    else:
        seidel = torch.from_numpy(seidel_matrix(kind, param))
        if seidel.shape[0] > MAX_GRAM_VECTORS:
            raise ValueError(f'{kind}({param}) in {dim} dims needs a Gram matrix of {seidel.shape[0]} rows, '
                             f'more than {MAX_GRAM_VECTORS}')
        vectors = _from_seidel(seidel, dim)
    num = vectors.shape[0]
    gram = vectors @ vectors.T
    mu = etf_coherence(num, dim)
    error = max((gram.diagonal() - 1).abs().max().item(),
                ((gram - torch.eye(num, dtype=gram.dtype)).abs() - mu).fill_diagonal_(0).abs().max().item())
    if error > 1e-7:
        raise ArithmeticError(f'{kind}({param}) in {dim} dims is {error:.2e} away from an ETF')
    _FRAMES[key] = vectors
    return vectors


def _from_seidel(seidel: torch.Tensor, dim: int) -> torch.Tensor:
    num = seidel.shape[0]
    mu = etf_coherence(num, dim)
    for sign in (1.0, -1.0):
        try:
            return gram_factor(torch.eye(num, dtype=torch.float64) + sign * mu * seidel, dim)
        except ValueError:
            continue
    raise ValueError(f'this Seidel matrix gives no ETF of {num} vectors in {dim} dims')


def _pg_lines(m: int) -> List[tuple]:
    """The lines {a, b, a xor b} of PG(m-1, 2), its points numbered 0 .. 2^m - 2."""
    points = 2**m - 1
    lines = sorted({tuple(sorted((a, b, a ^ b))) for a in range(1, points + 1) for b in range(a + 1, points + 1)})
    return [tuple(p - 1 for p in line) for line in lines]

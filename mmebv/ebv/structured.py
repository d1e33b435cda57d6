"""Algebraic families of low-coherence unit vectors, used as starting points for EBV generation.

Each family gives up to ``capacity`` unit vectors in ``dim`` dimensions whose pairwise |cos| is at
most a known ``coherence``; a family of a smaller dimension embeds into a larger one by zero padding.

- Equiangular tight frames (:mod:`mmebv.ebv.welch_frames`): Paley (q + 1 vectors in (q + 1) / 2 dims),
  Kronecker powers, Steiner, Latin-square, and their Naimark complements; |cos| = the Welch bound.
- Kerdock: the Gray image of the Z4-linear Kerdock code plus the standard basis: d / 2 + 1 mutually
  unbiased orthonormal bases in d = 2^(m+1) dims (m odd), |cos| = 1 / sqrt(d).
- Gold: all cyclic shifts of the 2^n + 1 Gold sequences of length L = 2^n - 1 (n odd), as +-1
  vectors; their correlations are -1 and -1 +- 2^((n+1)/2) (Gold, "Optimal binary sequences for
  spread spectrum multiplexing", IEEE Trans. Inf. Theory 1967), so |cos| <= (2^((n+1)/2) + 1) / L.
- Extended Gold: the same sequences with one +1 appended, in 2^n dims: the correlations become 0
  and +-2^((n+1)/2), so |cos| <= 2^(-(n-1)/2), e.g. 1/16 in 512 dims.

Pure numpy/torch; no OpenMMLab import.
"""
import math
from dataclasses import dataclass
from typing import List, Optional

import numpy as np
import torch

from .welch_frames import catalogue, etf_coherence, etf_vectors

# Binary primitive polynomials, as the exponents of their nonzero terms.
PRIMITIVE_POLYNOMIALS = {
    3: (3, 1, 0), 5: (5, 2, 0), 7: (7, 1, 0), 9: (9, 4, 0), 11: (11, 2, 0), 13: (13, 4, 3, 1, 0),
    15: (15, 1, 0), 17: (17, 3, 0)
}
ETF_KINDS = ('paley', 'kronecker', 'steiner-pairs', 'steiner-pg', 'latin')


@dataclass(frozen=True)
class Family:
    """A family that can supply ``capacity`` vectors in ``dim`` dims with |cos| <= ``coherence``."""
    name: str
    param: int
    dim: int
    capacity: int
    coherence: float

    def build(self, num: int, rng: np.random.Generator) -> torch.Tensor:
        """``num`` <= capacity vectors of the family, chosen by ``rng``: (num, dim) float64 unit rows."""
        if num > self.capacity:
            raise ValueError(f'{self.name}({self.param}) has only {self.capacity} vectors, {num} asked')
        if self.name in ETF_KINDS:
            return etf_vectors(self.name, self.param, self.dim)[rng.permutation(self.capacity)[:num]]
        return {'kerdock': _kerdock, 'gold': _gold, 'extended-gold': _extended_gold}[self.name](self.param, num, rng)


def families(max_dim: int) -> List[Family]:
    """Every family member that fits in ``max_dim`` dimensions."""
    out = [Family(etf.kind, etf.param, dim, etf.num, etf_coherence(etf.num, dim))
           for etf in catalogue() for dim in etf.dims if dim <= max_dim]
    for m in sorted(PRIMITIVE_POLYNOMIALS):
        dim = 2**(m + 1)
        if dim <= max_dim:
            out.append(Family('kerdock', m, dim, (dim // 2 + 1) * dim, 1 / math.sqrt(dim)))
        length = 2**m - 1
        if length <= max_dim:
            out.append(Family('gold', m, length, (length + 2) * length,
                              (2**((m + 1) // 2) + 1) / length))
        if length + 1 <= max_dim:
            out.append(Family('extended-gold', m, length + 1, (length + 2) * length, 2**(-(m - 1) / 2)))
    return out


def best_family(num_classes: int, dim: int, min_fill: float = 1.0) -> Optional[Family]:
    """The family of least coherence that fits in ``dim`` dims and supplies at least
    ``min_fill * num_classes`` vectors (the rest are then added at random and optimised); of two
    equally coherent ones, the one that fills more of the ``dim`` dims."""
    fitting = [f for f in families(dim) if f.capacity >= min_fill * num_classes]
    return min(fitting, key=lambda f: (round(f.coherence, 12), -f.dim), default=None)


def _hensel_lift(exponents) -> np.ndarray:
    """Coefficients (low to high) over Z4 of the basic primitive lift of a binary polynomial of
    odd degree: h(x^2) = o(x)^2 - e(x)^2 (mod 4), e and o its even and odd parts."""
    degree = max(exponents)
    even, odd = np.zeros(degree + 1, np.int64), np.zeros(degree + 1, np.int64)
    for k in exponents:
        (even if k % 2 == 0 else odd)[k] = 1
    square = (np.convolve(odd, odd) - np.convolve(even, even)) % 4
    return square[::2]


def _kerdock(m: int, num: int, rng: np.random.Generator) -> torch.Tensor:
    dim, length = 2**(m + 1), 2**m - 1
    h = _hensel_lift(PRIMITIVE_POLYNOMIALS[m])
    # lines: the dim standard basis vectors, then codewords (state, eps) for eps in {0, 1}
    picks = rng.choice(dim + 2 * 4**m, size=num, replace=False)
    basis_picks, code_picks = picks[picks < dim], picks[picks >= dim] - dim
    states, eps = code_picks // 2, code_picks % 2
    digits = (states[:, None] // 4**np.arange(m)[None, :]) % 4  # initial LFSR states in Z4^m
    seq = np.zeros((len(states), length + 1), np.int64)  # position 0 is the extended one, T(0) = 0
    window = digits.copy()
    for t in range(length):
        seq[:, t + 1] = window[:, 0]
        new = (-(window * h[:m]).sum(1)) % 4
        window = np.concatenate([window[:, 1:], new[:, None]], axis=1)
    seq = (seq + eps[:, None]) % 4
    gray = np.array([[1, 1], [1, -1], [-1, -1], [-1, 1]], dtype=np.float64)  # 0, 1, 2, 3 -> signs
    code_vectors = gray[seq].reshape(len(states), dim) / math.sqrt(dim)
    identity = np.eye(dim)[basis_picks]
    vectors = np.empty((num, dim))
    vectors[picks < dim], vectors[picks >= dim] = identity, code_vectors
    return torch.from_numpy(vectors)


def _m_sequence(n: int) -> np.ndarray:
    taps = [k for k in PRIMITIVE_POLYNOMIALS[n] if k < n]
    length = 2**n - 1
    seq = np.zeros(length, np.int64)
    seq[n - 1] = 1
    for t in range(n, length):
        seq[t] = sum(seq[t - n + k] for k in taps) % 2
    return seq


def _gold(n: int, num: int, rng: np.random.Generator) -> torch.Tensor:
    length = 2**n - 1
    u = _m_sequence(n).astype(np.int8)
    v = u[(3 * np.arange(length)) % length]  # decimation by 2^1 + 1: a preferred pair for odd n
    picks = rng.choice((length + 2) * length, size=num, replace=False)
    out = torch.empty(num, length, dtype=torch.float64)
    positions = np.arange(length)
    for start in range(0, num, 8192):  # in slices: (rows, L) integer tables are large for big N
        family, shift = np.divmod(picks[start:start + 8192], length)
        index = (positions[None, :] + shift[:, None]) % length
        # family 0: u, family 1: v, family 2 + k: u + (v shifted by k)
        bits = np.where((family == 1)[:, None], v[index], u[index])
        mixed = (u[index] + v[(index + (family - 2)[:, None]) % length]) % 2
        bits = np.where((family >= 2)[:, None], mixed, bits)
        out[start:start + len(family)] = torch.from_numpy((1.0 - 2.0 * bits) / math.sqrt(length))
    return out


def _extended_gold(n: int, num: int, rng: np.random.Generator) -> torch.Tensor:
    length = 2**n - 1
    signs = _gold(n, num, rng) * math.sqrt(length)
    return torch.cat([signs, torch.ones(num, 1, dtype=signs.dtype)], dim=1) / math.sqrt(length + 1)

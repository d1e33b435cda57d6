"""Linear Centered Kernel Alignment (Kornblith et al., 2019), plain and debiased."""
from typing import List

import torch


def _gram(x: torch.Tensor) -> torch.Tensor:
    x = x.reshape(len(x), -1).double()
    return x @ x.T


def _hsic(K: torch.Tensor, L: torch.Tensor, debiased: bool) -> torch.Tensor:
    n = len(K)
    if not debiased:
        H = torch.eye(n, dtype=K.dtype, device=K.device) - 1.0 / n
        return ((H @ K @ H) * L).sum()
    if n < 4:
        raise ValueError(f'debiased CKA needs at least 4 samples, got {n}')
    K, L = K.clone(), L.clone()
    K.fill_diagonal_(0)
    L.fill_diagonal_(0)
    # unbiased HSIC estimator (Song et al., 2012) up to the factor 1 / (n (n - 3)), which cancels in CKA
    return (K * L).sum() + K.sum() * L.sum() / ((n - 1) * (n - 2)) - 2.0 / (n - 2) * (K.sum(0) @ L.sum(0))


def linear_cka(x: torch.Tensor, y: torch.Tensor, debiased: bool = False) -> float:
    """Linear CKA of two representations of the same n examples.

    Args:
        x (Tensor): (n, ...) activations of one layer (flattened per example).
        y (Tensor): (n, ...) activations of another layer.
        debiased (bool): use the unbiased HSIC estimator. Defaults to False.

    Returns:
        float: in [0, 1] (the debiased value can dip slightly below 0); 1 for representations
        that differ by an orthogonal transform and an isotropic scaling.
    """
    if len(x) != len(y):
        raise ValueError(f'CKA compares the same examples: got {len(x)} and {len(y)} rows')
    K, L = _gram(x), _gram(y)
    return (_hsic(K, L, debiased) / torch.sqrt(_hsic(K, K, debiased) * _hsic(L, L, debiased))).item()


def cka_matrix(xs: List[torch.Tensor], ys: List[torch.Tensor], debiased: bool = False) -> torch.Tensor:
    """(len(xs), len(ys)) linear CKA between every layer of one network and every layer of another."""
    grams_x, grams_y = [_gram(x) for x in xs], [_gram(y) for y in ys]
    self_x = [_hsic(K, K, debiased) for K in grams_x]
    self_y = [_hsic(L, L, debiased) for L in grams_y]
    out = torch.empty(len(xs), len(ys), dtype=torch.float64)
    for i, K in enumerate(grams_x):
        for j, L in enumerate(grams_y):
            out[i, j] = _hsic(K, L, debiased) / torch.sqrt(self_x[i] * self_y[j])
    return out

"""The length of a feature's projection onto each class subspace: the GCR logit before its scale."""
import torch
import torch.nn.functional as F


def projection_norms(x: torch.Tensor, subspaces: torch.Tensor) -> torch.Tensor:
    """||W_i x|| for every class i: the length of x's projection onto the row space of W_i, with
    all classes in one product (the layout of a linear layer's (N k, d) weight).

    Args:
        x (Tensor): (..., d) features.
        subspaces (Tensor): (N, k, d), orthonormal rows per class.

    Returns:
        Tensor: (..., N).
    """
    coords = F.linear(x, subspaces.flatten(0, 1)).unflatten(-1, tuple(subspaces.shape[:2]))
    return coords.norm(dim=-1)

"""The length of a feature's projection onto each class subspace: the GCR logit before its scale."""
import torch
import torch.nn.functional as F


class _VectorNorm(torch.autograd.Function):
    """||x|| over the last dim; its backward is one pass over x (torch's takes three) and is 0, not
    nan, where x = 0."""

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        norms = torch.linalg.vector_norm(x, dim=-1)
        ctx.save_for_backward(x, norms)
        return norms

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        x, norms = ctx.saved_tensors
        return x * torch.where(norms > 0, grad / norms, 0).unsqueeze(-1).to(x.dtype)


def projection_norms(x: torch.Tensor, subspaces: torch.Tensor) -> torch.Tensor:
    """||W_i x|| for every class i: the length of x's projection onto the row space of W_i.

    Args:
        x (Tensor): (B, d) features.
        subspaces (Tensor): (N, k, d), orthonormal rows per class.

    Returns:
        Tensor: (B, N).
    """
    coords = F.linear(x, subspaces.flatten(0, 1)).unflatten(-1, tuple(subspaces.shape[:2]))  # one product
    return _VectorNorm.apply(coords)

"""The length of a feature's projection onto each class subspace: the GCR logit before its scale."""
from typing import Optional

import torch
import torch.nn.functional as F

from mmebv.utils.memory import ReusableMemory


class _LinearReusingGradient(torch.autograd.Function):
    """``F.linear(x, weight)`` for (B, d) x and (M, d) weight, the weight's gradient written into
    ``memory`` (unless the backward builds a graph: ``out=`` products are not differentiable)."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, memory: ReusableMemory) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.memory = memory
        return x @ weight.t()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple:
        x, weight = ctx.saved_tensors
        grad_x = grad @ weight if ctx.needs_input_grad[0] else None
        grad_weight = None
        if ctx.needs_input_grad[1]:
            out = None if torch.is_grad_enabled() else ctx.memory.borrow(weight.shape, weight.dtype)
            grad_weight = torch.mm(grad.t(), x, out=out)
        return grad_x, grad_weight, None


def projection_norms(x: torch.Tensor, subspaces: torch.Tensor,
                     gradient_memory: Optional[ReusableMemory] = None) -> torch.Tensor:
    """||W_i x|| for every class i: the length of x's projection onto the row space of W_i, with
    all classes in one product (the layout of a linear layer's (N k, d) weight).

    Args:
        x (Tensor): (B, d) features.
        subspaces (Tensor): (N, k, d), orthonormal rows per class.
        gradient_memory (ReusableMemory, optional): on a CPU outside autocast, the subspaces'
            gradient is written there, saving the fresh mapping of N k d numbers each step.
            Defaults to None: a new gradient each time, as from ``F.linear``.

    Returns:
        Tensor: (B, N).
    """
    weight = subspaces.flatten(0, 1)
    if (gradient_memory is not None and x.dim() == 2 and weight.requires_grad and torch.is_grad_enabled()
            and weight.device.type == 'cpu' and not torch.is_autocast_enabled('cpu')):
        coords = _LinearReusingGradient.apply(x, weight, gradient_memory)
    else:
        coords = F.linear(x, weight)
    return coords.unflatten(-1, tuple(subspaces.shape[:2])).norm(dim=-1)

"""The length of a feature's projection onto each class subspace: the GCR logit before its scale."""
from typing import Optional

import torch
import torch.nn.functional as F

from mmebv.utils.memory import ReusableMemory


def _linear_norms(x: torch.Tensor, subspaces: torch.Tensor) -> torch.Tensor:
    coords = F.linear(x, subspaces.flatten(0, 1)).unflatten(-1, tuple(subspaces.shape[:2]))
    return coords.norm(dim=-1)


class _CPUProjectionNorms(torch.autograd.Function):
    """``_linear_norms`` for (B, d) float32 or float64 x on a CPU, in the layout that is faster there.

    The product is taken as W xᵀ, (N k, B): torch 2.13's CPU matmul ran it in 44-48 ms against 52-55
    ms for x Wᵀ at B = 256, d = 2048, N k = 8000 on this project's 2-core machine. The norms over k
    are then over the middle axis of (N, k, B), where ``torch.linalg.vector_norm`` took 17 ms against
    0.3 ms for the root of summed squares. The backward gives the norm's zero gradient at a zero
    projection and writes the subspaces' gradient into ``memory``; one that builds a graph
    (``create_graph=True``) differentiates ``_linear_norms`` instead.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor, subspaces: torch.Tensor, memory: ReusableMemory) -> torch.Tensor:
        num_classes, k, dim = subspaces.shape
        coords = (subspaces.reshape(num_classes * k, dim) @ x.t()).view(num_classes, k, x.shape[0])  # (N, k, B)
        norms = coords.pow(2).sum(1).sqrt_()  # (N, B)
        ctx.save_for_backward(x, subspaces, coords, norms)
        ctx.memory = memory
        return norms.t().contiguous()

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple:
        x, subspaces, coords, norms = ctx.saved_tensors
        needed = ctx.needs_input_grad[:2]
        if torch.is_grad_enabled():
            inputs = [t for t, need in zip((x, subspaces), needed) if need]
            grads = iter(torch.autograd.grad(_linear_norms(x, subspaces), inputs, grad, create_graph=True))
            return tuple(next(grads) if need else None for need in needed) + (None, )
        num_classes, k, dim = subspaces.shape
        positive = norms > 0
        scale = torch.where(positive, grad.t() / torch.where(positive, norms, 1), 0).unsqueeze(1)
        grad_coords = torch.mul(coords, scale, out=torch.empty_like(coords)).view(num_classes * k, -1)
        grad_x = grad_coords.t() @ subspaces.reshape(num_classes * k, dim) if needed[0] else None
        grad_subspaces = None
        if needed[1]:
            out = ctx.memory.borrow((num_classes * k, dim), subspaces.dtype)
            grad_subspaces = torch.mm(grad_coords, x, out=out).view(num_classes, k, dim)
        return grad_x, grad_subspaces, None


def projection_norms(x: torch.Tensor, subspaces: torch.Tensor,
                     gradient_memory: Optional[ReusableMemory] = None) -> torch.Tensor:
    """||W_i x|| for every class i: the length of x's projection onto the row space of W_i, with
    all classes in one product (the layout of a linear layer's (N k, d) weight).

    Args:
        x (Tensor): (B, d) features.
        subspaces (Tensor): (N, k, d), orthonormal rows per class.
        gradient_memory (ReusableMemory, optional): for a head's training step. Given, float32 or
            float64 tensors on a CPU (outside autocast, tracing and ``torch.compile``) go through
            ``_CPUProjectionNorms``, which writes the subspaces' gradient there (saving glibc's
            fresh mapping of N k d numbers at every step). Defaults to None: the ``F.linear``
            form, which ``torch.func`` transforms and forward-mode AD also need.

    Returns:
        Tensor: (B, N).
    """
    if gradient_memory is not None and _cpu_function_applies(x, subspaces):
        return _CPUProjectionNorms.apply(x, subspaces, gradient_memory)
    return _linear_norms(x, subspaces)


def _cpu_function_applies(x: torch.Tensor, subspaces: torch.Tensor) -> bool:
    # float16's summed squares under- and overflow where vector_norm's do not; a trace or a compiled
    # graph records the autograd function as an opaque call (FLOP counters then count nothing).
    return (x.dim() == 2 and subspaces.device.type == 'cpu' and subspaces.dtype in (torch.float32, torch.float64)
            and not torch.is_autocast_enabled('cpu') and not torch.jit.is_tracing()
            and not torch.compiler.is_compiling())

"""One basis for every process of a job: rank 0 builds it, the others receive it bit for bit."""
from typing import Callable, Sequence

import torch
import torch.distributed as dist


def _in_process_group() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def _broadcast(tensor: torch.Tensor) -> torch.Tensor:
    # NCCL broadcasts device tensors only; gloo takes CPU tensors.
    device = torch.device('cuda', torch.cuda.current_device()) if dist.get_backend() == 'nccl' else tensor.device
    moved = tensor.to(device)
    dist.broadcast(moved, src=0)
    return moved.to(tensor.device)


def build_on_rank0(build: Callable[[], torch.Tensor], shape: Sequence[int],
                   dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """Run ``build`` on rank 0 only and give every process its result, bit for bit.

    Outside a process group (or with one process) it simply returns ``build()``. Every process of
    the group must call it, as every process builds the model under mmengine's Runner. When
    ``build`` fails on rank 0, the other ranks raise too instead of waiting for a tensor that never
    comes.

    Args:
        build (callable): returns a tensor of ``shape`` and ``dtype``.
        shape (Sequence[int]): the result's shape, known to every rank beforehand.
        dtype (torch.dtype): the result's dtype. Defaults to float32.
    """
    if not _in_process_group():
        return build()
    result, status = torch.empty(tuple(shape), dtype=dtype), torch.zeros(1, dtype=torch.int64)
    error = None
    if dist.get_rank() == 0:
        try:
            result = build().to(dtype).contiguous()
            if tuple(result.shape) != tuple(shape):
                raise RuntimeError(f'rank 0 built a tensor of shape {tuple(result.shape)}, {tuple(shape)} expected')
        except Exception as caught:  # tell the other ranks before raising here
            error, status[0] = caught, 1
    if _broadcast(status).item():
        if error is not None:
            raise error
        raise RuntimeError('rank 0 failed to build the basis; its log has the error')
    return _broadcast(result)

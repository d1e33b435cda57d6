"""CPU memory lent again to each new tensor once nothing refers to the previous one."""
import math
import threading
import weakref
from typing import Optional, Sequence

import torch


class ReusableMemory:
    """A one-tensor cache of CPU memory, as CUDA's caching allocator is for every GPU tensor.

    glibc serves each block over 32 MiB with a fresh mapping (mallopt(3), ``M_MMAP_THRESHOLD``), so a
    large tensor allocated anew every step (a weight gradient) costs the kernel a page fault and a
    zeroed page per 4 KiB. :meth:`borrow` hands out a tensor over one block kept here instead, once
    every tensor on the previous loan is gone. The loan is a tensor over a numpy view of the block
    and its storage holds that view, so the loan stays out while any tensor shares the storage
    (``param.grad``, a slice or a ``.view`` of it); then :meth:`borrow` allocates as torch would.
    Copies and pickles start empty.
    """

    def __init__(self) -> None:
        self._block: Optional[torch.Tensor] = None  # (bytes, ) uint8
        self._loan: Optional[weakref.ref] = None  # the numpy view the last loan's storage holds
        self._lock = threading.Lock()

    def borrow(self, shape: Sequence[int], dtype: torch.dtype) -> torch.Tensor:
        """An uninitialised contiguous CPU tensor of ``shape`` and ``dtype``."""
        nbytes = math.prod(shape) * dtype.itemsize
        with self._lock:
            if self._loan is not None and self._loan() is not None:
                return torch.empty(shape, dtype=dtype)
            if self._block is None or self._block.numel() < nbytes:
                self._block = None  # freed before the larger block is allocated
                self._block = torch.empty(nbytes, dtype=torch.uint8)
            view = self._block.numpy()[:nbytes]
            self._loan = weakref.ref(view)
        return torch.from_numpy(view).view(dtype).view(shape)

    def __reduce__(self) -> tuple:
        return type(self), ()

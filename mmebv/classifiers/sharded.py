"""A fixed classifier whose classes are split across the ranks of a process group (pure torch).

Rank r of W holds only rows [start_r, stop_r) of the (N, d) basis (contiguous shards, sizes
differing by at most one) and builds them itself from the basis definition
(:mod:`.indexed_bases`): nothing is communicated to build it, nothing is stored in checkpoints but
the definition, so a checkpoint resumes at any number of ranks. The exact softmax cross-entropy is
formed with collectives (:mod:`mmebv.losses.sharded_cross_entropy`), top-k predictions merge each
rank's k best (:meth:`ShardedFixedClassifier.topk`): the (B, N) logits are never gathered.

DDP and the shard: the shard is a plain attribute, neither a parameter nor a buffer, so DDP's
broadcast of parameters and buffers from rank 0 (at wrapping, and before every forward with
``broadcast_buffers=True``) can never replace a rank's rows with rank 0's; ``.to()``/``.cuda()``
move it (``_apply``). The one buffer, ``basis_origin`` (the definition), is the same on every rank,
which the constructor checks with one all-gather of its digest.
"""
import hashlib
import json
from typing import Optional, Tuple

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from mmebv.losses.sharded_cross_entropy import gather_rows, group_size_rank, sharded_cross_entropy

from .checks import check_count, check_real, expect_labels_in_range
from .fixed_classifier import BASIS_DTYPES, decode_origin, encode_origin
from .indexed_bases import build_indexed_basis
from .layer import ClassifierLayer
from .registry import register_classifier

# rows built at a time: a shard held in half precision never exists whole in float32
BUILD_ROWS = 65536


def shard_range(num_classes: int, rank: int, world_size: int) -> Tuple[int, int]:
    """The classes [start, stop) of ``rank``: contiguous, the first N % W ranks one more.

    Raises:
        ValueError: more ranks than classes (a rank would hold none).
    """
    if world_size > num_classes:
        raise ValueError(f'{world_size} ranks cannot share {num_classes} classes (every rank needs at least one): '
                         f'run on at most {num_classes} processes, or use the unsharded Fixed classifier')
    base, extra = divmod(num_classes, world_size)
    start = rank * base + min(rank, extra)
    return start, start + base + (rank < extra)


class _GatherRows(torch.autograd.Function):
    """Every rank's rows, padded to the largest batch; backward sums the gradients of all ranks and
    hands each rank those of its own rows."""

    @staticmethod
    def forward(ctx, x, group):
        gathered, sizes = gather_rows(x, group)
        ctx.own, ctx.rows, ctx.group = group_size_rank(group)[1] * max(sizes), x.shape[0], group
        sizes = torch.tensor(sizes)
        ctx.mark_non_differentiable(sizes)
        return gathered, sizes

    @staticmethod
    def backward(ctx, grad, _):
        grad = grad.contiguous()
        if group_size_rank(ctx.group)[0] > 1:
            dist.all_reduce(grad, group=ctx.group)
        return grad[ctx.own:ctx.own + ctx.rows], None


def _digest(origin: dict) -> int:
    return int(hashlib.sha256(json.dumps(origin, sort_keys=True).encode()).hexdigest()[:15], 16)


@register_classifier('ShardedFixed')
class ShardedFixedClassifier(ClassifierLayer):
    """Cosine logits against fixed class vectors split across ranks: each rank holds N / W rows.

    With one process (or outside a process group) it is an ordinary fixed classifier. With W
    processes, :meth:`cross_entropy` gives each rank's samples their exact softmax cross-entropy over
    all N classes and :meth:`topk` their top-k classes, with per-rank memory of one (W B, chunk)
    block; :meth:`forward` gathers the full logits (for small N only).

    Args:
        in_features (int): C, the size of the input features.
        num_classes (int): N, the classes of all ranks together.
        embed_dim (int, optional): d. Defaults to the basis's choice.
        temperature (float): divides the cosines. Defaults to 0.07.
        with_projection (bool): learn a linear map C -> d (replicated on every rank, trained by
            DDP as usual). Defaults to True.
        basis (dict, optional): a basis built by index (:mod:`.indexed_bases`): ``SeededRows``,
            ``ExtendedGold`` or ``BasisFileRows``. Defaults to None (``dict(type='SeededRows')``).
        channel_dim (int): -1 for (..., C), 1 for (B, C, H, W). Defaults to -1.
        chunk (int): classes per block in :meth:`cross_entropy` and :meth:`topk`. Defaults to 65536.
        group (ProcessGroup, optional): the ranks the classes are split over. Defaults to None
            (the default group; one process outside a process group).
        basis_dtype (str): 'float32', or 'float16' / 'bfloat16' to hold the shard in half the
            memory (10M x 512 rows: 20 GB in float32, 10 GB in bfloat16, over all ranks); the
            products widen it to the embedding's dtype chunk by chunk in :meth:`cross_entropy` and
            :meth:`topk`, whole in :meth:`forward`, as ``FixedClassifier``'s ``basis_dtype``.
            Defaults to 'float32'.

    Example:
        >>> classifier = dict(type='ShardedFixed', embed_dim=512, basis=dict(type='SeededRows', seed=0),
        ...                   basis_dtype='bfloat16')
    """

    def __init__(self,
                 in_features: int,
                 num_classes: int,
                 embed_dim: Optional[int] = None,
                 temperature: float = 0.07,
                 with_projection: bool = True,
                 *,
                 basis: Optional[dict] = None,
                 channel_dim: int = -1,
                 chunk: int = 65536,
                 group=None,
                 basis_dtype: str = 'float32') -> None:
        super().__init__(in_features, num_classes, channel_dim)
        owner = type(self).__name__
        provider = build_indexed_basis(basis)
        embed_dim = provider.default_dim(num_classes) if embed_dim is None else \
            check_count(owner, 'embed_dim', embed_dim)
        provider.check_dim(num_classes, embed_dim)
        self.temperature = check_real(owner, 'temperature', temperature, above=0)
        self.chunk = check_count(owner, 'chunk', chunk)
        if basis_dtype not in BASIS_DTYPES:
            raise ValueError(f'basis_dtype must be one of {BASIS_DTYPES}, got {basis_dtype!r}')
        if not with_projection and in_features != embed_dim:
            raise ValueError(f'with_projection=False needs in_features == embed_dim, got {in_features} '
                             f'and {embed_dim}: set embed_dim={in_features} or with_projection=True')
        self.embed_dim, self.group, self.provider = embed_dim, group, provider
        self.projection = nn.Linear(in_features, embed_dim) if with_projection else nn.Identity()
        self.world_size, self.rank = group_size_rank(group)
        self.start, self.stop = shard_range(num_classes, self.rank, self.world_size)
        origin = dict(provider.meta(), rows=num_classes, dim=embed_dim)
        # the ranks compute with the same rows; a checkpoint (the definition) resumes in any dtype
        self._check_ranks_agree(dict(origin, basis_dtype=basis_dtype))
        self.basis_meta = origin
        # not a buffer: DDP broadcasts buffers from rank 0, which would replace every rank's rows
        self.shard = torch.empty(self.stop - self.start, embed_dim, dtype=getattr(torch, basis_dtype))
        for first in range(self.start, self.stop, BUILD_ROWS):
            last = min(self.stop, first + BUILD_ROWS)
            self.shard[first - self.start:last - self.start] = provider.rows(first, last, num_classes, embed_dim)
        self.register_buffer('basis_origin', encode_origin(origin), persistent=True)

    def _check_ranks_agree(self, origin: dict) -> None:
        if self.world_size == 1:
            return
        digests = [torch.zeros(1, dtype=torch.int64) for _ in range(self.world_size)]
        dist.all_gather(digests, torch.tensor([_digest(origin)], dtype=torch.int64), group=self.group)
        if len({int(d.item()) for d in digests}) > 1:
            origins = [None] * self.world_size
            dist.all_gather_object(origins, origin, group=self.group)
            differ = [r for r, o in enumerate(origins) if o != origins[0]]
            raise ValueError(f'{type(self).__name__}: the ranks disagree about the basis: rank 0 has {origins[0]}, '
                             f'ranks {differ} have {[origins[r] for r in differ]}; give every process the same '
                             f'basis config (seed, file) and sizes')

    def _apply(self, fn, *args, **kwargs):
        out = super()._apply(fn, *args, **kwargs)
        self.shard = fn(self.shard)
        return out

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        saved = state_dict.get(prefix + 'basis_origin')
        if saved is not None:
            saved_origin = decode_origin(saved)
            if saved_origin != self.basis_meta:
                raise ValueError(f'the checkpoint\'s sharded basis was built from {saved_origin}, this config builds '
                                 f'{self.basis_meta}: set the classifier\'s basis and sizes to those it was '
                                 f'trained with')
            state_dict[prefix + 'basis_origin'] = self.basis_origin.clone()
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., d) unit embeddings (channels last)."""
        return F.normalize(self.projection(x), dim=-1)

    def _flat(self, x: torch.Tensor) -> torch.Tensor:
        self.check_input(x)
        return self.embed(x.movedim(self.channel_dim, -1)).reshape(-1, self.embed_dim)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., N), all classes: the rank's slices gathered (W B N values; small N only)."""
        embedding = self.embed(x)
        if self.world_size == 1:
            return embedding @ self.shard.T.to(embedding.dtype) / self.temperature
        flat = embedding.reshape(-1, self.embed_dim)
        gathered, sizes = _GatherRows.apply(flat, self.group)
        local = gathered @ self.shard.T.to(gathered.dtype) / self.temperature  # (W B, n_r)
        widest = shard_range(self.num_classes, 0, self.world_size)
        padded = F.pad(local, (0, widest[1] - widest[0] - local.shape[1]))
        slices, _ = _GatherRows.apply(padded.T.contiguous(), self.group)  # (W n_max, W B)
        n_max, parts = widest[1] - widest[0], []
        for rank in range(self.world_size):
            start, stop = shard_range(self.num_classes, rank, self.world_size)
            parts.append(slices[rank * n_max:rank * n_max + stop - start])
        full = torch.cat(parts).T  # (W B, N)
        own = self.rank * int(sizes.max())
        return full[own:own + flat.shape[0]].reshape(*embedding.shape[:-1], self.num_classes)

    def cross_entropy(self, x: torch.Tensor, target: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
        """Per-sample softmax cross-entropy over all N classes, exact, with collectives.

        Args:
            x (Tensor): (B, C) features of this rank (``channel_dim`` layout; flattened).
            target (Tensor): (B, ) hard labels, or (B, N) soft scores.
            label_smoothing (float): ε for hard labels. Defaults to 0.

        Returns:
            Tensor: (B, ) losses; their gradient reaches x as the unsharded head's would.
        """
        # in float32 under mixed precision too, as autocast runs F.cross_entropy (its float32 list)
        embedding = self._flat(x).float()
        if target.dim() == 1:  # checked without a host sync on accelerators (see .checks)
            target = expect_labels_in_range(self.checks, target, self.num_classes)
        with torch.autocast(embedding.device.type, enabled=False):
            return sharded_cross_entropy(embedding, self.shard, self.start, self.num_classes, target,
                                         1.0 / self.temperature, self.chunk, label_smoothing, self.group)

    @torch.no_grad()
    def topk(self, x: torch.Tensor, k: int = 1) -> Tuple[torch.Tensor, torch.Tensor]:
        """The k best classes of this rank's samples over all ranks' classes: each rank's k best
        for every gathered sample, then k of the W k candidates; (W B, k) values cross the network.

        Args:
            x (Tensor): (B, C) features.
            k (int): how many. Defaults to 1.

        Returns:
            tuple: (B, k) logits and (B, k) global class indices, best first.
        """
        embedding = self._flat(x)
        if not 0 < k <= self.num_classes:
            raise ValueError(f'k must lie in [1, {self.num_classes}], got {k}')
        gathered, sizes = gather_rows(embedding, self.group)
        local_k = min(k, self.shard.shape[0])
        best = torch.full((gathered.shape[0], k), -torch.inf, dtype=gathered.dtype, device=gathered.device)
        index = torch.zeros((gathered.shape[0], k), dtype=torch.int64, device=gathered.device)
        for start in range(0, self.shard.shape[0], self.chunk):
            block = gathered @ self.shard[start:start + self.chunk].T.to(gathered.dtype) / self.temperature
            values, where = block.topk(min(local_k, block.shape[1]), dim=1)
            merged = torch.cat([best, values], 1).topk(k, dim=1)
            index = torch.cat([index, where + self.start + start], 1).gather(1, merged.indices)
            best = merged.values
        if self.world_size > 1:
            own = self.rank * max(sizes)
            rows = slice(own, own + embedding.shape[0])
            every = [torch.empty_like(best) for _ in range(self.world_size)]
            every_index = [torch.empty_like(index) for _ in range(self.world_size)]
            dist.all_gather(every, best.contiguous(), group=self.group)
            dist.all_gather(every_index, index.contiguous(), group=self.group)
            merged = torch.cat([v[rows] for v in every], 1).topk(k, dim=1)
            return merged.values, torch.cat([i[rows] for i in every_index], 1).gather(1, merged.indices)
        return best, index

    def coherence_bound(self) -> dict:
        """What is known of the whole basis's coherence (see :meth:`IndexedBasis.coherence_bound`)."""
        return self.provider.coherence_bound(self.num_classes, self.embed_dim)

    def class_representation(self) -> Optional[torch.Tensor]:
        """The class vectors (N, d) with one process; None with several (each rank holds a shard)."""
        return self.shard.detach() if self.world_size == 1 else None

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, embed_dim={self.embed_dim}, temperature={self.temperature}, '
                f'classes [{self.start}, {self.stop}) of rank {self.rank}/{self.world_size}, basis={self.basis_meta}, '
                f'basis_dtype={str(self.shard.dtype)[len("torch."):]}')

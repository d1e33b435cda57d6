"""Exact softmax cross-entropy over classes split across the ranks of a process group.

Pure torch (``torch.distributed``); the pattern of Megatron's vocab-parallel cross-entropy and of
insightface's Partial FC v2 with every class kept. Each rank holds the rows [start, stop) of the
(N, d) class vectors. The embeddings of every rank are gathered (W B rows, padded to the largest
batch); each rank forms the logits of its own classes ``chunk`` at a time and keeps a running
log-sum-exp per sample; three collectives make the softmax exact:

- all-reduce MAX of the local log-sum-exps, then SUM of their exponentials: the global log-sum-exp;
- all-reduce SUM of the target term (the target logit, the label-smoothing mean, or the soft
  targets' weighted logits), which each rank computes for its own classes only.

Backward recomputes the chunks; each rank adds its classes' share of the gradient for all W B
gathered rows, one all-reduce sums the shares and each rank keeps its own rows. The gradient that
reaches a rank's embeddings is therefore the one the unsharded cross-entropy gives them. Peak
extra memory per rank: one (W B, chunk) block of logits and the (W B, d) gathered embeddings.
"""
from typing import Optional, Tuple

import torch
import torch.distributed as dist


def group_size_rank(group=None) -> Tuple[int, int]:
    """(world size, rank) of ``group``; (1, 0) outside a process group."""
    if not (dist.is_available() and dist.is_initialized()):
        return 1, 0
    return dist.get_world_size(group), dist.get_rank(group)


def _all_reduce(tensor: torch.Tensor, op=dist.ReduceOp.SUM, group=None) -> torch.Tensor:
    if group_size_rank(group)[0] > 1:
        dist.all_reduce(tensor, op=op, group=group)
    return tensor


def gather_rows(x: torch.Tensor, group=None) -> Tuple[torch.Tensor, list]:
    """Every rank's rows of ``x`` (B_r, ...), padded with zeros to the largest B_r.

    Returns:
        tuple: (W * B_max, ...) rows, rank r's at [r * B_max, r * B_max + B_r), and the list of B_r.
    """
    world, _ = group_size_rank(group)
    if world == 1:
        return x, [x.shape[0]]
    sizes = [torch.zeros(1, dtype=torch.int64) for _ in range(world)]
    dist.all_gather(sizes, torch.tensor([x.shape[0]], dtype=torch.int64), group=group)
    sizes = [int(s.item()) for s in sizes]
    padded = x.new_zeros((max(sizes), ) + tuple(x.shape[1:]))
    padded[:x.shape[0]] = x
    parts = [torch.empty_like(padded) for _ in range(world)]
    dist.all_gather(parts, padded.contiguous(), group=group)
    return torch.cat(parts), sizes


def _block(embedding: torch.Tensor, shard: torch.Tensor, start: int, chunk: int, scale: float) -> torch.Tensor:
    return (embedding @ shard[start:start + chunk].to(embedding.dtype).T) * scale


def _global_log_sum_exp(embedding: torch.Tensor, shard: torch.Tensor, chunk: int, scale: float,
                        group) -> torch.Tensor:
    """(R, ) log Σ_j exp(scale e·v_j) over the classes of every rank."""
    local = torch.full((embedding.shape[0], ), -torch.inf, dtype=embedding.dtype, device=embedding.device)
    for start in range(0, shard.shape[0], chunk):
        local = torch.logaddexp(local, torch.logsumexp(_block(embedding, shard, start, chunk, scale), dim=1))
    top = _all_reduce(local.clone(), dist.ReduceOp.MAX, group)
    top = torch.where(torch.isfinite(top), top, torch.zeros_like(top))
    total = _all_reduce(torch.exp(local - top), group=group)
    return top + torch.log(total)


class _ShardedCrossEntropy(torch.autograd.Function):

    @staticmethod
    def forward(ctx, embedding, shard, offset, labels, soft, scale, chunk, smoothing, num_classes, group):
        world, rank = group_size_rank(group)
        gathered, sizes = gather_rows(embedding.detach(), group)
        own = rank * max(sizes)
        labels_all = gather_rows(labels, group)[0] if labels is not None else None
        soft_all = gather_rows(soft, group)[0][:, offset:offset + shard.shape[0]] if soft is not None else None
        lse = _global_log_sum_exp(gathered, shard, chunk, scale, group)
        pull_vec, mass = _pull_vectors(gathered, shard, offset, labels_all, soft_all, chunk, smoothing,
                                       num_classes)
        pull = _all_reduce((gathered * pull_vec).sum(1) * scale, group=group)
        mass = _all_reduce(mass, group=group) if soft is not None else mass
        loss = mass * lse - pull
        ctx.save_for_backward(gathered, shard, lse, pull_vec, mass)
        ctx.meta = (scale, chunk, group, own, embedding.shape[0], world)
        return loss[own:own + embedding.shape[0]]

    @staticmethod
    def backward(ctx, grad_loss):
        gathered, shard, lse, pull_vec, mass = ctx.saved_tensors
        scale, chunk, group, own, rows, world = ctx.meta
        # every rank's weights for every gathered row: one scalar per sample
        weights = torch.zeros(gathered.shape[0], dtype=gathered.dtype, device=gathered.device)
        weights[own:own + rows] = grad_loss
        weights = _all_reduce(weights, group=group)
        # this rank's classes' share of d loss_b / d e_b = scale (m_b Σ_j p_bj v_j - pull_b)
        expected = torch.zeros_like(gathered)
        for start in range(0, shard.shape[0], chunk):
            probs = torch.exp(_block(gathered, shard, start, chunk, scale) - lse[:, None])
            expected += probs @ shard[start:start + chunk].to(gathered.dtype)
        share = scale * (mass[:, None] * expected - pull_vec) * weights[:, None]
        grad = _all_reduce(share, group=group)[own:own + rows]
        return grad, None, None, None, None, None, None, None, None, None


def _pull_vectors(embedding, shard, offset, labels, soft, chunk, smoothing, num_classes):
    """This rank's share of Σ_j t_bj v_j (R, d) for targets t, and the targets' mass Σ_j t_bj (R, )."""
    rows = embedding.shape[0]
    pull = torch.zeros_like(embedding)
    if soft is not None:
        for start in range(0, shard.shape[0], chunk):
            pull += soft[:, start:start + chunk].to(embedding.dtype) @ shard[start:start + chunk].to(embedding.dtype)
        return pull, soft.sum(1).to(embedding.dtype)
    local = (labels >= offset) & (labels < offset + shard.shape[0])
    pull[local] = shard[labels[local] - offset].to(embedding.dtype)
    if smoothing:
        total = sum(shard[s:s + chunk].double().sum(0) for s in range(0, shard.shape[0], chunk))
        pull = (1 - smoothing) * pull + smoothing * (total / num_classes).to(embedding.dtype)
    return pull, torch.ones(rows, dtype=embedding.dtype, device=embedding.device)


def sharded_cross_entropy(embedding: torch.Tensor, shard: torch.Tensor, offset: int, num_classes: int,
                          target: torch.Tensor, scale: float, chunk: int = 65536, label_smoothing: float = 0.0,
                          group: Optional[object] = None) -> torch.Tensor:
    """Per-sample cross-entropy of this rank's samples against the classes of every rank.

    Equal (to rounding) to ``F.cross_entropy(scale * e @ V.T, target, reduction='none',
    label_smoothing=label_smoothing)`` on the full (N, d) ``V``, with the same gradient for
    ``embedding``. Every rank of ``group`` must call it (a collective).

    Args:
        embedding (Tensor): (B, d) this rank's embeddings; B may differ between ranks.
        shard (Tensor): (n, d) this rank's class vectors, classes [offset, offset + n).
        offset (int): the global index of the shard's first class.
        num_classes (int): N, the classes of all ranks.
        target (Tensor): (B, ) hard labels in [0, N - 1], or (B, N) soft scores (Mixup/CutMix;
            gathered whole, W B N values: for moderate N only).
        scale (float): multiplies the dot products (1 / temperature).
        chunk (int): classes per block. Defaults to 65536.
        label_smoothing (float): ε (hard labels only). Defaults to 0.
        group (ProcessGroup, optional): the ranks the classes are split over. Defaults to the world.

    Returns:
        Tensor: (B, ).
    """
    if chunk <= 0:
        raise ValueError(f'chunk must be a positive number of classes, got {chunk}')
    soft = target.dim() == 2
    if soft and label_smoothing:
        raise ValueError('label_smoothing applies to hard labels; soft targets carry their own smoothing')
    if soft and target.shape[1] != num_classes:
        raise ValueError(f'soft targets have {target.shape[1]} classes, the classifier {num_classes}')
    if not soft and target.dim() != 1:
        raise ValueError(f'targets are (B, ) hard labels or (B, N) scores, got shape {tuple(target.shape)}')
    return _ShardedCrossEntropy.apply(embedding, shard.detach(), int(offset), None if soft else target.long(),
                                      target.to(embedding.dtype) if soft else None, float(scale), int(chunk),
                                      float(label_smoothing), int(num_classes), group)

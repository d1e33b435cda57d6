"""Cross-entropy over a very large class dimension without holding the (B, N) logits.

Pure torch; ``mmebv.cls`` registers ``ChunkedCrossEntropyLoss`` into mmpretrain's ``MODELS``.

With N = 10^6 classes the logits of a batch of 256 are 1 GB in float32, and autograd keeps them
and their gradient. Here the logits scale * E Vᵀ are formed ``chunk`` classes at a time, twice:
the forward pass keeps only a running log-sum-exp per sample, the backward pass recomputes each
chunk to add its softmax-weighted class vectors to the gradient of the embeddings. The class
vectors V are fixed (a buffer), so no gradient flows to them. Peak extra memory is one (B, chunk)
block.
"""
import torch


def _chunk_logits(embedding: torch.Tensor, vectors: torch.Tensor, start: int, chunk: int,
                  scale: float) -> torch.Tensor:
    block = vectors[start:start + chunk].to(embedding.dtype)  # a half-precision basis widens per chunk
    return (embedding @ block.T) * scale


def _mean_vector(vectors: torch.Tensor, chunk: int, dtype: torch.dtype) -> torch.Tensor:
    """(d, ) mean of the class vectors, summed chunk by chunk (no full-size copy in another dtype)."""
    total = sum(vectors[start:start + chunk].float().sum(0).double() for start in range(0, len(vectors), chunk))
    return (total / len(vectors)).to(dtype)


def _log_sum_exp(embedding: torch.Tensor, vectors: torch.Tensor, chunk: int, scale: float) -> torch.Tensor:
    """(B, ) log Σ_j exp(scale e·v_j), accumulated over chunks of classes."""
    total = None
    for start in range(0, vectors.shape[0], chunk):
        part = torch.logsumexp(_chunk_logits(embedding, vectors, start, chunk, scale), dim=1)
        total = part if total is None else torch.logaddexp(total, part)
    return total


class _ChunkedCrossEntropy(torch.autograd.Function):

    @staticmethod
    def forward(ctx, embedding, vectors, labels, scale, chunk, smoothing):
        lse = _log_sum_exp(embedding, vectors, chunk, scale)
        target = (embedding * vectors[labels].to(embedding.dtype)).sum(1) * scale
        loss = lse - target
        mean = _mean_vector(vectors, chunk, embedding.dtype) if smoothing else torch.zeros(0)
        if smoothing:
            loss = (1 - smoothing) * loss + smoothing * (lse - embedding @ mean * scale)
        ctx.save_for_backward(embedding, vectors, labels, lse, mean)
        ctx.scale, ctx.chunk, ctx.smoothing = scale, chunk, smoothing
        return loss

    @staticmethod
    def backward(ctx, grad_loss):
        embedding, vectors, labels, lse, mean = ctx.saved_tensors
        scale, chunk, smoothing = ctx.scale, ctx.chunk, ctx.smoothing
        # d loss_b / d e_b = scale (Σ_j p_bj v_j - (1 - ε) v_y - ε mean_j v_j)
        expected = torch.zeros_like(embedding)
        for start in range(0, vectors.shape[0], chunk):
            probs = torch.exp(_chunk_logits(embedding, vectors, start, chunk, scale) - lse[:, None])
            expected += probs @ vectors[start:start + chunk].to(embedding.dtype)
        pull = vectors[labels].to(embedding.dtype)
        if smoothing:
            pull = (1 - smoothing) * pull + smoothing * mean
        grad = scale * (expected - pull) * grad_loss[:, None]
        return grad, None, None, None, None, None


def chunked_cross_entropy(embedding: torch.Tensor, vectors: torch.Tensor, labels: torch.Tensor,
                          scale: float, chunk: int = 65536, label_smoothing: float = 0.0) -> torch.Tensor:
    """Per-sample cross-entropy of the logits ``scale * embedding @ vectors.T``, chunk by chunk.

    Equal (to rounding) to ``F.cross_entropy(scale * embedding @ vectors.T, labels,
    reduction='none', label_smoothing=label_smoothing)``, with the same gradient for ``embedding``.

    Args:
        embedding (Tensor): (B, d) embeddings (usually unit vectors).
        vectors (Tensor): (N, d) fixed class vectors; any float dtype (half precision saves memory).
        labels (Tensor): (B, ) hard labels in [0, N - 1].
        scale (float): multiplies the dot products (1 / temperature).
        chunk (int): classes per block. Defaults to 65536 (a 64 MiB block for B = 256).
        label_smoothing (float): ε of label smoothing (target (1 - ε) one-hot + ε / N). Defaults to 0.

    Returns:
        Tensor: (B, ).
    """
    if chunk <= 0:
        raise ValueError(f'chunk must be a positive number of classes, got {chunk}')
    if labels.dim() != 1:
        raise ValueError(f'chunked cross-entropy takes hard labels of shape (B, ), got {tuple(labels.shape)}: '
                         f'soft targets (Mixup/CutMix) would be (B, N) themselves; use label_smoothing instead')
    return _ChunkedCrossEntropy.apply(embedding, vectors.detach(), labels, float(scale), int(chunk),
                                      float(label_smoothing))

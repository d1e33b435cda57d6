"""Losses of "Learning towards the largest margins" (Zhou et al., ICLR 2022), on cosine logits.

Pure torch; ``mmebv.cls`` registers ``LMSoftmaxLoss`` (the first one) into mmpretrain's ``MODELS``.
"""
import torch
import torch.nn.functional as F


def _others(values: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """(B, N) -> (B, N - 1): each row without its label's column."""
    keep = ~F.one_hot(labels, values.shape[1]).bool()
    return values[keep].view(values.shape[0], values.shape[1] - 1)


def _check_labels(values: torch.Tensor, labels: torch.Tensor) -> None:
    if labels.dim() != 1:
        raise ValueError(f'largest-margin losses need hard labels of shape (B, ), got {tuple(labels.shape)}: '
                         f'soft targets (Mixup, CutMix, label smoothing) are not supported; remove them '
                         f'from the config (model.train_cfg.augments, the loss\'s label_smooth_val)')
    if values.shape[1] < 2:
        raise ValueError('largest-margin losses need at least two classes')


def lm_softmax(logits: torch.Tensor, labels: torch.Tensor, scale: float) -> torch.Tensor:
    """Per-sample LM-Softmax: (1/s) log Σ_{j≠y} exp(z_j - z_y), z = s cos θ. (B, N) -> (B, )."""
    _check_labels(logits, labels)
    target = logits.gather(1, labels[:, None])
    return torch.logsumexp(_others(logits, labels) - target, dim=1) / scale


def sample_margin(cosines: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Per-sample regulariser max_{j≠y} cos θ_j - cos θ_y (minus the sample margin). (B, N) -> (B, )."""
    _check_labels(cosines, labels)
    return _others(cosines, labels).max(dim=1).values - cosines.gather(1, labels[:, None]).squeeze(1)


def zero_centroid(weight: torch.Tensor) -> torch.Tensor:
    """||Σ_j w_j / ||w_j|| ||² for class weights (N, d): zero when the class directions balance."""
    return F.normalize(weight, dim=1).sum(dim=0).pow(2).sum()

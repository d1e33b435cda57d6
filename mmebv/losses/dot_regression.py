"""The dot-regression loss of Yang et al., NeurIPS 2022 (arXiv 2203.09081), for a fixed simplex ETF.

Pure torch; ``mmebv.cls`` registers ``DotRegressionLoss`` into mmpretrain's ``MODELS``.
"""
import torch


def dot_regression(cosines: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Per-sample 1/2 (cos θ_y - 1)², with cos θ_y the cosine of the embedding to its class vector.

    This is the loss as the authors' mmcls code (``DRLoss`` of NeuralCollapseApplications/FSCIL)
    computes it for unit features and unit class vectors: it pulls each embedding towards its own
    class vector only. Their imbalanced-learning code also rescales the class vectors per batch
    by class frequency; that is not done here.

    Args:
        cosines (Tensor): (B, N) cosines of the embeddings to every class vector.
        target (Tensor): (B, ) hard labels, or (B, N) soft scores (Mixup/CutMix), for which the
            loss is Σ_k p_k (cos θ_k - 1)² / 2, i.e. λ L(y_a) + (1 - λ) L(y_b) as the authors mix.

    Returns:
        Tensor: (B, ).
    """
    if target.dim() == 1:
        return 0.5 * (cosines.gather(1, target[:, None]).squeeze(1) - 1).pow(2)
    return 0.5 * (target * (cosines - 1).pow(2)).sum(1)

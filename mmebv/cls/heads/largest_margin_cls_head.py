from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmebv.losses import sample_margin, zero_centroid

from .checked_cls_head import CheckedClsHead


@MODELS.register_module()
class LargestMarginClsHead(CheckedClsHead):
    """A normalised cosine classifier (logits = s cos θ_j) trained towards the largest margins.

    Losses (every key holding 'loss' is summed by the classifier):
    ``loss`` — the configured loss on the logits, LM-Softmax by default,
    (1/s) log Σ_{j≠y} exp(s (cos θ_j - cos θ_y));
    ``loss_sample_margin`` — sample-margin regulariser, mean of max_{j≠y} cos θ_j - cos θ_y;
    ``loss_zero_centroid`` — zero-centroid regulariser ||Σ_j w_j / ||w_j|| ||² of the class weights,
    meant for long-tailed data. Soft targets (Mixup/CutMix, label smoothing) are refused with an
    error: the margin terms are defined for hard labels.

    Args:
        num_classes (int): number of classes N.
        in_channels (int): size d of the feature.
        scale (float): s. Defaults to 64 (a usual scale of normalised softmax losses; the value
            the largest-margin paper used is not checked here).
        sample_margin_weight (float): weight of the sample-margin term; 0 leaves it out.
            Defaults to 0.
        zero_centroid_weight (float): weight of the zero-centroid term; 0 leaves it out.
            Defaults to 0.
        loss (dict): loss on the logits. Defaults to ``dict(type='LMSoftmaxLoss')``, whose scale
            is set to ``scale``.
        init_cfg (dict, optional): Defaults to ``dict(type='Normal', layer='Linear', std=0.01)``.

    Example:
        >>> head = dict(type='LargestMarginClsHead', num_classes=10, in_channels=128,
        ...             sample_margin_weight=1.0, zero_centroid_weight=1.0)
    """

    soft_targets = False  # the margins are defined for hard labels

    def __init__(self, num_classes: int, in_channels: int, scale: float = 64.0,
                 sample_margin_weight: float = 0.0, zero_centroid_weight: float = 0.0,
                 loss: dict = dict(type='LMSoftmaxLoss'),
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01), **kwargs) -> None:
        loss = dict(loss)
        if loss.get('type') == 'LMSoftmaxLoss':
            if loss.setdefault('scale', scale) != scale:
                raise ValueError(f'LMSoftmaxLoss scale {loss["scale"]} differs from the head\'s scale '
                                 f'{scale}: leave the loss\'s scale out and the head fills it in')
        super().__init__(num_classes, in_channels, loss=loss, init_cfg=init_cfg, **kwargs)
        self.scale = float(scale)
        self.sample_margin_weight, self.zero_centroid_weight = sample_margin_weight, zero_centroid_weight
        self.fc = nn.Linear(in_channels, num_classes, bias=False)

    def cosines(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features -> (B, N) cosines to the class weights."""
        return F.linear(F.normalize(self.pre_logits(feats), dim=-1), F.normalize(self.fc.weight, dim=-1))

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features -> (B, N) logits s cos θ."""
        return self.scale * self.cosines(feats)

    def losses(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        cosines = self.cosines(feats)
        labels = self.targets(data_samples)
        losses = self.loss_on_target(self.scale * cosines, labels, **kwargs)
        if self.sample_margin_weight:
            losses['loss_sample_margin'] = self.sample_margin_weight * sample_margin(cosines, labels).mean()
        if self.zero_centroid_weight:
            losses['loss_zero_centroid'] = self.zero_centroid_weight * zero_centroid(self.fc.weight)
        return losses

    def class_representation(self) -> torch.Tensor:
        """The class weights (N, d)."""
        return self.fc.weight.detach()

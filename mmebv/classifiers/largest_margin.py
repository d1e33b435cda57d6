"""The largest-margin classifier layer: normalised class weights, scaled cosine logits (pure torch)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmebv.losses import sample_margin, zero_centroid

from .checks import check_real
from .layer import ClassifierLayer, flat_labels
from .registry import register_classifier


@register_classifier('LargestMargin')
class LargestMarginClassifier(ClassifierLayer):
    """A normalised cosine classifier (logits = s cos θ_j) trained towards the largest margins
    (Zhou et al., "Learning towards the largest margins", ICLR 2022).

    Train its logits with ``LMSoftmaxLoss`` of the same ``scale`` (each host registers it), i.e.
    (1/s) log Σ_{j≠y} exp(s (cos θ_j - cos θ_y)). The layer adds its two regularisers:
    ``loss_sample_margin``, the mean of max_{j≠y} cos θ_j - cos θ_y, and ``loss_zero_centroid``,
    ||Σ_j w_j / ||w_j|| ||² of the class weights (meant for long-tailed data). Both need hard labels
    (``soft_targets = False``). The class weights ``weight`` (N, C) start normal with std 0.01.

    Args:
        in_features (int): C.
        num_classes (int): N.
        scale (float): s > 0. Defaults to 64 (a usual scale of normalised softmax losses; the value
            the largest-margin paper used is not checked here).
        sample_margin_weight (float): weight (>= 0) of the sample-margin term; 0 leaves it out.
            Defaults to 0.
        zero_centroid_weight (float): weight (>= 0) of the zero-centroid term; 0 leaves it out.
            Defaults to 0.
        channel_dim (int): -1 for (..., C), 1 for (B, C, H, W). Defaults to -1.
        grow_from_checkpoint (bool): load a checkpoint of fewer classes, its weights as the first
            rows (see :class:`~mmebv.classifiers.layer.ClassifierLayer`). Defaults to False.

    Growing (:meth:`grow`, ``grow_from_checkpoint``) appends new weight rows, normal with std 0.01
    as at construction; the old rows, and so the old classes' logits, are unchanged.
    """

    soft_targets = False  # the margins are defined for hard labels

    def __init__(self, in_features: int, num_classes: int, scale: float = 64.0, sample_margin_weight: float = 0.0,
                 zero_centroid_weight: float = 0.0, channel_dim: int = -1, grow_from_checkpoint: bool = False) -> None:
        super().__init__(in_features, num_classes, channel_dim, grow_from_checkpoint)
        owner = type(self).__name__
        if num_classes < 2:
            raise ValueError(f'{owner}: num_classes={num_classes} must be at least 2 (a margin needs two classes)')
        self.scale = check_real(owner, 'scale', scale, above=0)
        self.sample_margin_weight = check_real(owner, 'sample_margin_weight', sample_margin_weight, minimum=0)
        self.zero_centroid_weight = check_real(owner, 'zero_centroid_weight', zero_centroid_weight, minimum=0)
        self.weight = nn.Parameter(torch.empty(num_classes, in_features))
        nn.init.normal_(self.weight, std=0.01)

    def class_tensors(self) -> Dict[str, int]:
        return dict(weight=1)

    def append_classes(self, num_classes: int) -> None:
        new = torch.empty(num_classes - self.num_classes, self.in_features)
        nn.init.normal_(new, std=0.01)
        self.weight = nn.Parameter(torch.cat([self.weight.detach(), new.to(self.weight)]))

    def cosines(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) channels-last features -> (..., N) cosines to the class weights."""
        return F.linear(F.normalize(x, dim=-1), F.normalize(self.weight, dim=-1))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.scale * self.cosines(x)

    @property
    def has_loss_terms(self) -> bool:
        return bool(self.sample_margin_weight or self.zero_centroid_weight)

    def loss_terms(self, x: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        terms = {}
        if self.sample_margin_weight:
            cosines = self.cosines(x.movedim(self.channel_dim, -1)).flatten(0, -2)
            labels, valid = flat_labels(target)
            # ignored entries masked, not indexed out: boolean indexing would read the mask on the host
            margins = sample_margin(cosines, labels.clamp_min(0)) * valid
            terms['loss_sample_margin'] = self.sample_margin_weight * margins.sum() / valid.sum().clamp_min(1)
        if self.zero_centroid_weight:
            terms['loss_zero_centroid'] = self.zero_centroid_weight * zero_centroid(self.weight)
        return terms

    def class_representation(self) -> torch.Tensor:
        """The class weights (N, C)."""
        return self.weight.detach()

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, scale={self.scale}'

"""The pure losses of :mod:`mmebv.losses` as mmpretrain loss modules."""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from mmebv.losses import dot_regression, lm_softmax


@MODELS.register_module()
class LMSoftmaxLoss(nn.Module):
    """LM-Softmax on logits z = s cos θ, averaged over the batch (:func:`mmebv.losses.lm_softmax`).

    Args:
        scale (float): s, the scale of the logits. Defaults to 64 (``LargestMarginClsHead`` fills
            in its own).
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    def __init__(self, scale: float = 64.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.scale, self.loss_weight = float(scale), loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, avg_factor=None, **kwargs) -> torch.Tensor:
        return self.loss_weight * lm_softmax(cls_score, label, self.scale).mean()


@MODELS.register_module()
class DotRegressionLoss(nn.Module):
    """Dot regression on cosine logits (:func:`mmebv.losses.dot_regression`), averaged over the batch.

    The scores must be the cosines themselves: use it with a :class:`FixedClsHead` whose classifier
    has ``temperature=1.0`` (the head refuses any other).

    Args:
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    needs_cosines = True

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, avg_factor=None, **kwargs) -> torch.Tensor:
        return self.loss_weight * dot_regression(cls_score, label).mean()

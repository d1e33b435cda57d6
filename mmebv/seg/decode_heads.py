"""mmseg decode heads whose ``conv_seg`` is any mmebv classifier layer, per pixel.

Each is the host head unchanged (its convs, loss and inference) except for the last 1x1 conv, which
becomes the configured layer (``classifier=dict(type=...)``, see :mod:`mmebv.classifiers`); the
layer's own loss terms (DML-CRC's ``loss_linear_ce``, the largest-margin regularisers) are added to the
host's loss, on the features at the classifier's resolution with the labels resized to it (nearest).
The ``EBV*`` twins default to an EBV ``Fixed`` classifier.

Example:
    >>> decode_head = dict(type='GeometricUPerHead', in_channels=[256, 512, 1024, 2048],
    ...                    channels=512, num_classes=150,
    ...                    classifier=dict(type='Grassmann', subspace_dim=8))
"""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.decode_heads import FCNHead, FPNHead, UPerHead
from mmseg.registry import MODELS

from mmebv.classifiers import IGNORE, DenseClassifierMixin, check_real
from mmebv.classifiers.layer import add_loss_terms
from mmebv.losses import lm_softmax

EBV = dict(type='Fixed', basis=dict(type='EBV'))


class GeometricDecodeHeadMixin(DenseClassifierMixin):
    """The classifier swap plus the layer's loss terms in ``loss_by_feat``."""

    classifier_name = 'conv_seg'

    def cls_seg(self, feat: torch.Tensor) -> torch.Tensor:
        if self.dropout is not None:
            feat = self.dropout(feat)
        if self.training and self.conv_seg.has_loss_terms:
            self._classifier_input = feat  # for loss_by_feat, in the same step
        return self.conv_seg(feat)

    def loss_by_feat(self, seg_logits: torch.Tensor, batch_data_samples) -> dict:
        losses = super().loss_by_feat(seg_logits, batch_data_samples)
        feat = self.__dict__.pop('_classifier_input', None)
        if feat is not None:
            labels = self._stack_batch_gt(batch_data_samples).float()
            labels = F.interpolate(labels, size=feat.shape[2:], mode='nearest').squeeze(1).long()
            labels = torch.where(labels == self.ignore_index, IGNORE, labels)
            add_loss_terms(losses, self.conv_seg, feat, labels)
        return losses


@MODELS.register_module()
class GeometricUPerHead(GeometricDecodeHeadMixin, UPerHead):
    """UperNet's decode head with a per-pixel classifier layer (see the module docstring)."""


@MODELS.register_module()
class GeometricFCNHead(GeometricDecodeHeadMixin, FCNHead):
    """The FCN head (UperNet's auxiliary head) with a per-pixel classifier layer."""


@MODELS.register_module()
class GeometricFPNHead(GeometricDecodeHeadMixin, FPNHead):
    """Semantic FPN's head with a per-pixel classifier layer."""


@MODELS.register_module()
class EBVUPerHead(GeometricUPerHead):
    """:class:`GeometricUPerHead` with an EBV ``Fixed`` classifier by default."""

    default_classifier = EBV


@MODELS.register_module()
class EBVFCNHead(GeometricFCNHead):
    """:class:`GeometricFCNHead` with an EBV ``Fixed`` classifier by default."""

    default_classifier = EBV


@MODELS.register_module()
class EBVFPNHead(GeometricFPNHead):
    """:class:`GeometricFPNHead` with an EBV ``Fixed`` classifier by default."""

    default_classifier = EBV


@MODELS.register_module()
class LMSoftmaxSegLoss(nn.Module):
    """LM-Softmax (:func:`mmebv.losses.lm_softmax`) per pixel, as a decode head's ``loss_decode``,
    for the ``LargestMargin`` classifier: mean over the pixels whose label is not ``ignore_index``.

    Args:
        scale (float): s, the classifier's scale. Defaults to 64.
        loss_weight (float): Defaults to 1.0.
        loss_name (str): the key of the loss. Defaults to 'loss_lm_softmax'.
    """

    def __init__(self, scale: float = 64.0, loss_weight: float = 1.0, loss_name: str = 'loss_lm_softmax') -> None:
        super().__init__()
        self.scale = check_real(type(self).__name__, 'scale', scale, above=0)
        self.loss_weight, self._loss_name = loss_weight, loss_name

    def forward(self, seg_logits: torch.Tensor, seg_label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                ignore_index: int = 255, **kwargs) -> torch.Tensor:
        """(B, N, H, W) logits, (B, H, W) labels -> the mean loss."""
        logits, labels = seg_logits.movedim(1, -1).flatten(0, -2), seg_label.reshape(-1)
        valid = labels != ignore_index
        loss = lm_softmax(logits[valid], labels[valid], self.scale)
        if weight is not None:
            loss = loss * weight.reshape(-1)[valid]
        return self.loss_weight * loss.sum() / valid.sum().clamp_min(1)

    @property
    def loss_name(self) -> str:
        return self._loss_name

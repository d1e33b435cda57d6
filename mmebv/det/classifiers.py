"""Any mmebv classifier layer as mmdet's box classifier and Mask R-CNN's mask classifier."""
from typing import Optional

import torch
import torch.nn as nn
from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS

from mmebv.classifiers import ClassifierLayer, DenseClassifierMixin, build_classifier, check_real
from mmebv.classifiers.registry import with_default
from mmebv.losses import lm_softmax

EBV = dict(type='Fixed', basis=dict(type='EBV'))


def build_box_classifier(in_features: int, out_features: int, classifier: Optional[dict], default: Optional[dict],
                         owner: str) -> ClassifierLayer:
    layer = build_classifier(with_default(classifier, default, owner), in_features, out_features)
    if layer.has_loss_terms:  # mmdet's bbox head forms its loss from the logits alone
        raise ValueError(f'{owner}: mmdet\'s box head computes its loss from the logits only, so '
                         f'{type(layer).__name__}\'s own loss terms would be dropped: set their weights to 0 '
                         f'(LargestMargin: sample_margin_weight, zero_centroid_weight; DMLCRC: ce_weight)')
    return layer


@MODELS.register_module()
def GeometricLinear(in_features: int, out_features: int, classifier: Optional[dict] = None) -> ClassifierLayer:
    """A box head's classifier from ``cls_predictor_cfg=dict(type='GeometricLinear', classifier=dict(...))``.

    mmdet builds it with ``in_features`` and ``out_features`` (the class count plus one for
    background) filled in, so the layer gets one output per class and one for background; its
    state dict keys sit directly under ``fc_cls.``.

    Args:
        in_features (int): size of the RoI features (filled in by the bbox head).
        out_features (int): number of classifier outputs (filled in by the bbox head).
        classifier (dict): the layer, e.g. ``dict(type='Grassmann', subspace_dim=8)``.
    """
    return build_box_classifier(in_features, out_features, classifier, None, 'GeometricLinear')


@MODELS.register_module()
def EBVLinear(in_features: int, out_features: int, classifier: Optional[dict] = None) -> ClassifierLayer:
    """``GeometricLinear`` with an EBV ``Fixed`` classifier by default."""
    return build_box_classifier(in_features, out_features, classifier, EBV, 'EBVLinear')


@MODELS.register_module()
class GeometricFCNMaskHead(DenseClassifierMixin, FCNMaskHead):
    """Mask R-CNN's FCN mask head with a per-pixel classifier layer in place of ``conv_logits``.

    Each mask pixel's feature goes through the layer, and the head's usual sigmoid mask loss trains
    the ground-truth class's channel. A sigmoid needs logits of both signs, so layers whose logits
    have one sign (Grassmann, DMLCRC) are refused here.

    Args:
        classifier (dict): the layer, e.g. ``dict(type='Fixed', basis=dict(type='EBV'))``.
        **kwargs: the arguments of mmdet's ``FCNMaskHead``.

    Example:
        >>> mask_head = dict(type='GeometricFCNMaskHead', num_convs=4, in_channels=256,
        ...                  conv_out_channels=256, num_classes=80,
        ...                  classifier=dict(type='Fixed', basis=dict(type='EBV'), temperature=0.07))
    """

    classifier_name = 'conv_logits'
    needs_signed_logits = True


@MODELS.register_module()
class EBVFCNMaskHead(GeometricFCNMaskHead):
    """:class:`GeometricFCNMaskHead` with an EBV ``Fixed`` classifier by default."""

    default_classifier = EBV


@MODELS.register_module()
class LMSoftmaxDetLoss(nn.Module):
    """LM-Softmax (:func:`mmebv.losses.lm_softmax`) as a bbox head's ``loss_cls``, for the
    ``LargestMargin`` classifier: mmdet's (scores, labels, weights, avg_factor) signature.

    Args:
        scale (float): s, the classifier's scale. Defaults to 64.
        loss_weight (float): Defaults to 1.0.
    """

    def __init__(self, scale: float = 64.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.scale, self.loss_weight = check_real(type(self).__name__, 'scale', scale, above=0), loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, weight: Optional[torch.Tensor] = None,
                avg_factor: Optional[float] = None, reduction_override: Optional[str] = None, **kwargs) -> torch.Tensor:
        loss = lm_softmax(cls_score, label, self.scale)
        if weight is not None:
            loss = loss * weight
        if reduction_override == 'none':
            return self.loss_weight * loss
        total = loss.sum() / (avg_factor if avg_factor is not None else max(loss.numel(), 1))
        return self.loss_weight * total

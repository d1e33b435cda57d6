from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS

from mmebv.classifiers import DenseClassifierMixin


@MODELS.register_module()
class FixedFCNMaskHead(DenseClassifierMixin, FCNMaskHead):
    """Mask R-CNN's FCN mask head with a per-pixel fixed classifier in place of ``conv_logits``.

    Each mask pixel's feature is projected and L2-normalised; its cosine to each class's fixed
    vector over the temperature is that class's mask logit, trained with the head's usual sigmoid
    mask loss on the ground-truth class's channel.

    Args:
        classifier (dict, optional): arguments of :class:`~mmebv.classifiers.FixedClassifier`
            (``basis``, ``embed_dim``, ``temperature``, ...). Defaults to None (EBV).
        **kwargs: the arguments of mmdet's ``FCNMaskHead``.

    Example:
        >>> mask_head = dict(type='FixedFCNMaskHead', num_convs=4, in_channels=256,
        ...                  conv_out_channels=256, num_classes=80,
        ...                  classifier=dict(basis=dict(type='EBV'), temperature=0.07))
    """

    classifier_name = 'conv_logits'


@MODELS.register_module()
class EBVFCNMaskHead(FixedFCNMaskHead):
    """:class:`FixedFCNMaskHead` under the name EBV configs use (its basis defaults to EBV)."""

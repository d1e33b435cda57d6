from mmdet.models.roi_heads.mask_heads import FCNMaskHead
from mmdet.registry import MODELS

from ..layers import EBVDenseClassifierMixin


@MODELS.register_module()
class EBVFCNMaskHead(EBVDenseClassifierMixin, FCNMaskHead):
    """Mask R-CNN's FCN mask head with a per-pixel EBV classifier in place of ``conv_logits``.

    Each mask pixel's feature is projected and L2-normalised; its cosine to each class's fixed
    basis vector over the temperature is that class's mask logit, trained with the head's usual
    sigmoid mask loss on the ground-truth class's channel.

    Args:
        ebv_cfg (dict, optional): arguments of :class:`EBVClassifier` (``embed_dim``,
            ``temperature``, ``seed``, ...). Defaults to None.
        **kwargs: the arguments of mmdet's ``FCNMaskHead``.

    Example:
        >>> mask_head = dict(type='EBVFCNMaskHead', num_convs=4, in_channels=256,
        ...                  conv_out_channels=256, num_classes=80,
        ...                  ebv_cfg=dict(temperature=0.07))
    """

    classifier_name = 'conv_logits'

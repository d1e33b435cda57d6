"""mmseg decode heads whose ``conv_seg`` is a per-pixel EBV classifier.

Each is the host head unchanged (its convs, loss and inference) except for the last 1x1 conv:
every pixel's feature is projected, L2-normalised and compared by cosine with each class's fixed
basis vector, over a temperature. Extra argument, beside the host head's: ``ebv_cfg`` (dict,
optional), the arguments of :class:`mmebv.models.layers.EBVClassifier` (``embed_dim``,
``temperature``, ``seed``, ...). Defaults to None.

Example:
    >>> decode_head = dict(type='EBVUPerHead', in_channels=[256, 512, 1024, 2048],
    ...                    channels=512, num_classes=150, ebv_cfg=dict(temperature=0.07))
"""
from mmseg.models.decode_heads import FCNHead, FPNHead, UPerHead
from mmseg.registry import MODELS

from ..layers import EBVDenseClassifierMixin


@MODELS.register_module()
class EBVUPerHead(EBVDenseClassifierMixin, UPerHead):
    """UperNet's decode head with a per-pixel EBV classifier (see the module docstring)."""

    classifier_name = 'conv_seg'


@MODELS.register_module()
class EBVFCNHead(EBVDenseClassifierMixin, FCNHead):
    """The FCN head (UperNet's auxiliary head) with a per-pixel EBV classifier."""

    classifier_name = 'conv_seg'


@MODELS.register_module()
class EBVFPNHead(EBVDenseClassifierMixin, FPNHead):
    """Semantic FPN's head with a per-pixel EBV classifier."""

    classifier_name = 'conv_seg'

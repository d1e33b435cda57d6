"""mmseg decode heads whose ``conv_seg`` is a per-pixel fixed classifier.

Each is the host head unchanged (its convs, loss and inference) except for the last 1x1 conv:
every pixel's feature is projected, L2-normalised and compared by cosine with each class's fixed
vector, over a temperature. Extra argument, beside the host head's: ``classifier`` (dict,
optional), the arguments of :class:`mmebv.classifiers.FixedClassifier` (``basis``, ``embed_dim``,
``temperature``, ...). Defaults to None (EBV).

Example:
    >>> decode_head = dict(type='FixedUPerHead', in_channels=[256, 512, 1024, 2048],
    ...                    channels=512, num_classes=150,
    ...                    classifier=dict(basis=dict(type='EBV'), temperature=0.07))
"""
from mmseg.models.decode_heads import FCNHead, FPNHead, UPerHead
from mmseg.registry import MODELS

from mmebv.classifiers import DenseClassifierMixin


@MODELS.register_module()
class FixedUPerHead(DenseClassifierMixin, UPerHead):
    """UperNet's decode head with a per-pixel fixed classifier (see the module docstring)."""

    classifier_name = 'conv_seg'


@MODELS.register_module()
class FixedFCNHead(DenseClassifierMixin, FCNHead):
    """The FCN head (UperNet's auxiliary head) with a per-pixel fixed classifier."""

    classifier_name = 'conv_seg'


@MODELS.register_module()
class FixedFPNHead(DenseClassifierMixin, FPNHead):
    """Semantic FPN's head with a per-pixel fixed classifier."""

    classifier_name = 'conv_seg'


@MODELS.register_module()
class EBVUPerHead(FixedUPerHead):
    """:class:`FixedUPerHead` under the name EBV configs use (its basis defaults to EBV)."""


@MODELS.register_module()
class EBVFCNHead(FixedFCNHead):
    """:class:`FixedFCNHead` under the name EBV configs use (its basis defaults to EBV)."""


@MODELS.register_module()
class EBVFPNHead(FixedFPNHead):
    """:class:`FixedFPNHead` under the name EBV configs use (its basis defaults to EBV)."""

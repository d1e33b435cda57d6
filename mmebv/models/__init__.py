"""Importing this registers into mmpretrain's ``MODELS``: ``EBVClsHead``, ``SmallConvNet``.

Needs mmpretrain only (no compiled mmcv ops).
"""
from .backbones import SmallConvNet
from .heads import EBVClsHead
from .layers import EBVClassifier

__all__ = ['EBVClsHead', 'SmallConvNet', 'EBVClassifier']

"""Importing this registers into mmpretrain's ``MODELS``: ``EBVClsHead``, ``GrassmannClsHead``,
``LargestMarginClsHead``, ``DMLCRCClsHead``, ``LMSoftmaxLoss``, ``SmallConvNet``.

Needs mmpretrain only (no compiled mmcv ops).
"""
from .backbones import SmallConvNet
from .heads import DMLCRCClsHead, EBVClsHead, GrassmannClsHead, LargestMarginClsHead
from .layers import EBVClassifier
from .losses import LMSoftmaxLoss

__all__ = ['DMLCRCClsHead', 'EBVClsHead', 'GrassmannClsHead', 'LargestMarginClsHead', 'LMSoftmaxLoss', 'SmallConvNet',
           'EBVClassifier']

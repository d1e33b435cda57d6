"""Importing this registers into mmseg's ``MODELS``: ``EBVUPerHead``, ``EBVFCNHead`` and
``EBVFPNHead`` (UperNet, its FCN auxiliary head and semantic FPN with a per-pixel EBV classifier).

Needs mmseg and mmcv's compiled ops.
"""
from mmebv.utils.compiled_ops import require_mmcv_ops

require_mmcv_ops('segmentation')

from .ebv_decode_heads import EBVFCNHead, EBVFPNHead, EBVUPerHead  # noqa: E402

__all__ = ['EBVUPerHead', 'EBVFCNHead', 'EBVFPNHead']

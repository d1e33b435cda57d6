"""mmebv on mmseg (semantic segmentation). Importing this registers into mmseg's ``MODELS``:
``FixedUPerHead``, ``FixedFCNHead`` and ``FixedFPNHead`` (UperNet, its FCN auxiliary head and
semantic FPN with a per-pixel fixed classifier), and their EBV-named twins ``EBVUPerHead``,
``EBVFCNHead``, ``EBVFPNHead``.

It imports mmseg and the host-neutral core, never mmpretrain or mmdet, and needs mmcv's compiled ops.
"""
from mmebv.stack import check_supported
from mmebv.utils.compiled_ops import require_mmcv_ops

check_supported('torch', 'mmengine', 'mmsegmentation', 'mmcv', hard=('mmcv', ))
require_mmcv_ops('segmentation')

from .fixed_decode_heads import EBVFCNHead, EBVFPNHead, EBVUPerHead, FixedFCNHead, FixedFPNHead, FixedUPerHead  # noqa: E402

__all__ = ['EBVFCNHead', 'EBVFPNHead', 'EBVUPerHead', 'FixedFCNHead', 'FixedFPNHead', 'FixedUPerHead']

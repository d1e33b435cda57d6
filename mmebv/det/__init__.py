"""mmebv on mmdet (detection, instance segmentation). Importing this registers into mmdet's ``MODELS``:

- ``FixedLinear`` (``EBVLinear``: EBV basis by default) for a bbox head's ``cls_predictor_cfg``;
- ``FixedFCNMaskHead`` (``EBVFCNMaskHead``), Mask R-CNN's mask head with a per-pixel fixed classifier.

It imports mmdet and the host-neutral core, never mmpretrain or mmseg, and needs mmcv's compiled ops.
"""
from mmebv.stack import check_supported
from mmebv.utils.compiled_ops import require_mmcv_ops

check_supported('torch', 'mmengine', 'mmdet', 'mmcv', hard=('mmcv', ))
require_mmcv_ops('detection')

from .fixed_linear import EBVLinear, FixedLinear  # noqa: E402
from .fixed_mask_head import EBVFCNMaskHead, FixedFCNMaskHead  # noqa: E402

__all__ = ['EBVFCNMaskHead', 'EBVLinear', 'FixedFCNMaskHead', 'FixedLinear']

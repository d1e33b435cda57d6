"""Importing this registers into mmdet's ``MODELS``: ``EBVLinear`` (for a bbox head's
``cls_predictor_cfg``) and ``EBVFCNMaskHead``.

Needs mmdet and mmcv's compiled ops.
"""
from mmebv.utils.compiled_ops import require_mmcv_ops

require_mmcv_ops('detection')

from .ebv_linear import EBVLinear  # noqa: E402
from .ebv_mask_head import EBVFCNMaskHead  # noqa: E402

__all__ = ['EBVLinear', 'EBVFCNMaskHead']

"""mmebv on mmseg (semantic segmentation). Importing this registers into mmseg's ``MODELS``:
``GeometricUPerHead``, ``GeometricFCNHead`` and ``GeometricFPNHead`` (UperNet, its FCN auxiliary head
and semantic FPN with a per-pixel classifier layer of :mod:`mmebv.classifiers`), their EBV-default
twins ``EBVUPerHead``, ``EBVFCNHead``, ``EBVFPNHead``, and ``LMSoftmaxSegLoss``.

It imports mmseg and the host-neutral core, never mmpretrain or mmdet, and needs mmcv's compiled ops.
"""
from mmebv.compatibility import check_supported
from mmebv.utils.compiled_ops import require_mmcv_ops

check_supported('torch', 'mmengine', 'mmsegmentation', 'mmcv', hard=('mmcv', ))
require_mmcv_ops('segmentation')

from .decode_heads import (EBVFCNHead, EBVFPNHead, EBVUPerHead, GeometricFCNHead, GeometricFPNHead,  # noqa: E402
                           GeometricUPerHead, LMSoftmaxSegLoss)

__all__ = ['EBVFCNHead', 'EBVFPNHead', 'EBVUPerHead', 'GeometricFCNHead', 'GeometricFPNHead', 'GeometricUPerHead',
           'LMSoftmaxSegLoss']

"""mmebv on mmdet (detection, instance segmentation). Importing this registers into mmdet's ``MODELS``:

- ``GeometricLinear`` (any classifier layer of :mod:`mmebv.classifiers`) and ``EBVLinear`` (an EBV
  ``Fixed`` one by default) for a bbox head's ``cls_predictor_cfg``;
- ``GeometricFCNMaskHead`` and ``EBVFCNMaskHead``, Mask R-CNN's mask head with a per-pixel
  classifier layer (those whose logits take both signs);
- ``LMSoftmaxDetLoss``, LM-Softmax as a bbox head's ``loss_cls``.

It imports mmdet and the host-neutral core, never mmpretrain or mmseg, and needs mmcv's compiled ops.
"""
from mmebv.compatibility import check_supported
from mmebv.utils.compiled_ops import require_mmcv_ops

check_supported('torch', 'mmengine', 'mmdet', 'mmcv', hard=('mmcv', ))
require_mmcv_ops('detection')

from .classifiers import EBVFCNMaskHead, EBVLinear, GeometricFCNMaskHead, GeometricLinear, LMSoftmaxDetLoss  # noqa: E402

__all__ = ['EBVFCNMaskHead', 'EBVLinear', 'GeometricFCNMaskHead', 'GeometricLinear', 'LMSoftmaxDetLoss']

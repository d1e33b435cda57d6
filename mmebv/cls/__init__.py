"""mmebv on mmpretrain (image classification). Importing this registers into mmpretrain's registries:

- ``MODELS``: the heads ``GeometricClsHead`` (any classifier layer of :mod:`mmebv.classifiers`,
  ``classifier=dict(type='Fixed' | 'Grassmann' | 'LargestMargin' | 'DMLCRC', ...)``) and
  ``EBVClsHead`` (the same head, an EBV ``Fixed`` classifier by default), ``ShardedClsHead`` (the
  class-sharded fixed classifier, classes split across ranks); the losses
  ``LMSoftmaxLoss``, ``DotRegressionLoss``, ``ChunkedCrossEntropyLoss``; the backbone ``SmallConvNet``;
- ``DATASETS``: ``LocalFashionMNIST``, ``ClassIncrementalDataset`` (a session's classes plus an
  exemplar memory), ``SyntheticClassification`` (random images and labels, made when read);
  ``TRANSFORMS``: ``ToGrey`` (one-channel images, for the one-channel demo's
  inferencer path); ``METRICS``: ``IncrementalAccuracy`` (accuracy over the classes seen so far,
  average incremental accuracy, forgetting);
- ``OPTIMIZERS``: ``RiemannianLamb`` (mmpretrain's Lamb with Grassmann parameters on their manifold).

It imports mmpretrain and the host-neutral core (:mod:`mmebv.classifiers`, :mod:`mmebv.losses`,
:mod:`mmebv.grassmann`), never mmdet or mmseg, and needs no compiled mmcv ops.
"""
from mmebv.compatibility import check_supported

check_supported('torch', 'mmengine', 'mmpretrain')

from .backbones import SmallConvNet  # noqa: E402
from .datasets import ClassIncrementalDataset, LocalFashionMNIST, SyntheticClassification, ToGrey  # noqa: E402
from .heads import EBVClsHead, GeometricClsHead, ShardedClsHead  # noqa: E402
from .losses import ChunkedCrossEntropyLoss, DotRegressionLoss, LMSoftmaxLoss  # noqa: E402
from .metrics import IncrementalAccuracy  # noqa: E402
from .optimizers import RiemannianLamb  # noqa: E402
from . import model_index  # noqa: E402,F401  (mmebv's classification models in mmpretrain's ModelHub)

__all__ = [
    'ChunkedCrossEntropyLoss', 'ClassIncrementalDataset', 'DotRegressionLoss', 'EBVClsHead', 'GeometricClsHead',
    'IncrementalAccuracy', 'LMSoftmaxLoss', 'LocalFashionMNIST', 'RiemannianLamb', 'ShardedClsHead', 'SmallConvNet',
    'SyntheticClassification', 'ToGrey'
]

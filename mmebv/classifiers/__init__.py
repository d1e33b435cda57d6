"""Fixed classifiers, pure torch: importing this imports no OpenMMLab package.

:class:`FixedClassifier` stands where a linear layer or a 1x1 classifier conv stands; its class
vectors come from a registered basis provider (``EBV``, ``SimplexETF``, ``Hadamard``,
``MaxSeparation``; see :mod:`.bases`). Each host's glue (``mmebv.cls``, ``mmebv.det``,
``mmebv.seg``) wraps it in that host's head.
"""
from .bases import EBVBasis, HadamardBasis, MaxSeparationBasis, SimplexETFBasis
from .checks import DeferredChecks, check_feature_size
from .dense import DenseClassifierMixin
from .distributed import build_on_rank0
from .fixed_classifier import EBVClassifier, FixedClassifier
from .registry import BASES, BasisProvider, build_basis_provider, register_basis

__all__ = [
    'BASES', 'BasisProvider', 'DeferredChecks', 'DenseClassifierMixin', 'EBVBasis', 'EBVClassifier',
    'FixedClassifier', 'HadamardBasis', 'MaxSeparationBasis', 'SimplexETFBasis', 'build_basis_provider',
    'build_on_rank0', 'check_feature_size', 'register_basis'
]

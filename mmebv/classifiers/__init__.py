"""Classifier layers, one per method, pure torch: importing this imports no OpenMMLab package.

Every method is a :class:`ClassifierLayer` (:mod:`.layer`) registered by name, built by each host's
adapter from ``classifier=dict(type=...)``: ``Fixed`` (:class:`FixedClassifier`, fixed class vectors
from a registered basis: ``EBV``, ``SimplexETF``, ``Hadamard``, ``MaxSeparation``; see
:mod:`.bases`), ``Grassmann`` (GCR), ``LargestMargin``, ``DMLCRC`` and ``Linear`` (the FC baseline). Each host's glue
(``mmebv.cls``, ``mmebv.det``, ``mmebv.seg``) adapts any of them.
"""
from .bases import EBVBasis, HadamardBasis, MaxSeparationBasis, SimplexETFBasis
from .checks import DeferredChecks, check_count, check_feature_size, check_real
from .dense import DenseClassifierMixin
from .distributed import build_on_rank0
from .dml_crc import DMLCRCClassifier
from .fixed_classifier import FixedClassifier
from .grassmann import GrassmannClassifier
from .largest_margin import LargestMarginClassifier
from .linear import LinearClassifier
from .layer import IGNORE, ClassifierLayer, add_loss_terms
from .sharded import ShardedFixedClassifier, shard_range  # noqa: F401
from .registry import (BASES, CLASSIFIERS, BasisProvider, build_basis_provider, build_classifier, register_basis,
                       register_classifier)

__all__ = [
    'BASES', 'BasisProvider', 'CLASSIFIERS', 'ClassifierLayer', 'DMLCRCClassifier', 'DeferredChecks',
    'DenseClassifierMixin', 'EBVBasis', 'FixedClassifier', 'GrassmannClassifier', 'HadamardBasis', 'IGNORE',
    'LargestMarginClassifier', 'LinearClassifier', 'MaxSeparationBasis', 'SimplexETFBasis', 'add_loss_terms',
    'build_basis_provider', 'build_classifier', 'build_on_rank0', 'check_count', 'check_feature_size', 'check_real',
    'register_basis', 'register_classifier'
]

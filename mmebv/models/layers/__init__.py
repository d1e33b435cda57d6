"""Deprecated: the classifier modules are in :mod:`mmebv.classifiers`."""
from mmebv.classifiers import DenseClassifierMixin as EBVDenseClassifierMixin
from mmebv.classifiers import EBVClassifier, FixedClassifier
from mmebv.classifiers.bases import EBVBasis


def default_embed_dim(num_classes: int) -> int:
    """mmebv 0.1's default EBV size: max(N, 128), which ``EBVBasis.default_dim`` now gives."""
    return EBVBasis().default_dim(num_classes)


__all__ = ['EBVClassifier', 'EBVDenseClassifierMixin', 'FixedClassifier', 'default_embed_dim']

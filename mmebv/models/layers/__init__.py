"""Deprecated: the classifier modules are in :mod:`mmebv.classifiers`."""
from mmebv.classifiers import DenseClassifierMixin as EBVDenseClassifierMixin
from mmebv.classifiers import EBVClassifier, FixedClassifier

__all__ = ['EBVClassifier', 'EBVDenseClassifierMixin', 'FixedClassifier']

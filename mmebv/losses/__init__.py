"""Losses on classifier outputs, pure torch: importing this imports no OpenMMLab package."""
from .chunked_cross_entropy import chunked_cross_entropy
from .dot_regression import dot_regression
from .sharded_cross_entropy import sharded_cross_entropy  # noqa: F401
from .largest_margin import lm_softmax, sample_margin, zero_centroid

__all__ = ['chunked_cross_entropy', 'dot_regression', 'lm_softmax', 'sample_margin', 'zero_centroid']

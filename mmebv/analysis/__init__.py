"""Geometry of classifiers and features (pure torch): class margins, sample margins, variability,
linear probes and CKA."""
from .cka import cka_matrix, linear_cka
from .geometry import (class_margin, intra_class_variability, linear_probe, pairwise_class_angles,
                       sample_margins, welch_angle)

__all__ = ['cka_matrix', 'linear_cka', 'class_margin', 'intra_class_variability', 'linear_probe',
           'pairwise_class_angles', 'sample_margins', 'welch_angle']

"""Grassmann-manifold math and optimizers for subspace classifiers (pure torch, no OpenMMLab import)."""
from .logits import projection_norms
from .manifold import (geodesic_step, orthonormality_error, orthonormalize, project_tangent, random_subspaces, retract,
                       subspace_angles)
from .optim import RiemannianAdamW, RiemannianMixin, RiemannianSGD, is_grassmann

__all__ = ['geodesic_step', 'orthonormality_error', 'orthonormalize', 'project_tangent', 'projection_norms',
           'random_subspaces', 'retract', 'subspace_angles', 'RiemannianAdamW', 'RiemannianMixin', 'RiemannianSGD',
           'is_grassmann']

"""Grassmann-manifold math for subspace classifiers (pure torch, no OpenMMLab import)."""
from .manifold import geodesic_step, orthonormalize, project_tangent, random_subspaces, retract, subspace_angles

__all__ = ['geodesic_step', 'orthonormalize', 'project_tangent', 'random_subspaces', 'retract',
           'subspace_angles']

"""Importing this registers, in mmengine's root registries:

- ``HOOKS``: ``ProgressBarHook``, ``EpochSeedHook``;
- ``OPTIMIZERS``: ``RiemannianSGD`` (Grassmann parameters on their manifold, the rest plain SGD);

and allow-lists the types of mmengine's own checkpoints for torch's safe loading (see
:mod:`mmebv.utils.safe_loading`).
"""
from mmebv.utils import allow_mmengine_checkpoint_types

from .hooks import EpochSeedHook, ProgressBarHook
from .optimizers import RiemannianSGD

allow_mmengine_checkpoint_types()

__all__ = ['EpochSeedHook', 'ProgressBarHook', 'RiemannianSGD']

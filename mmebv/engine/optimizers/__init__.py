"""The Riemannian optimizers of :mod:`mmebv.grassmann.optim`, registered in mmengine's ``OPTIMIZERS``."""
from mmengine.registry import OPTIMIZERS

from mmebv.grassmann.optim import RiemannianAdamW, RiemannianSGD, is_grassmann

OPTIMIZERS.register_module(module=RiemannianSGD)
OPTIMIZERS.register_module(module=RiemannianAdamW)

__all__ = ['RiemannianAdamW', 'RiemannianSGD', 'is_grassmann']

"""Lamb (mmpretrain's) with Grassmann parameters on their manifold, for the GCR transformer recipes."""
from mmpretrain.engine.optimizers import Lamb
from mmpretrain.registry import OPTIMIZERS

from mmebv.grassmann.optim import RiemannianMixin


@OPTIMIZERS.register_module()
class RiemannianLamb(RiemannianMixin, Lamb):
    """mmpretrain's Lamb for ordinary parameters, Riemannian momentum SGD for Grassmann ones
    (:class:`~mmebv.grassmann.optim.RiemannianMixin`, momentum 0.9 unless ``grassmann_momentum``
    says otherwise), the Grassmann step size being the scheduled Lamb ``lr`` times
    ``grassmann_lr_factor``, as the GCR authors' ``RLambOptimizer`` does (innerlee/gcr).

    Args:
        params: parameters or param groups, as for any torch optimizer.
        lr (float): Lamb's learning rate. Defaults to 1e-3.
        **kwargs: Lamb's ``betas``, ``eps``, ``weight_decay``, ``max_grad_norm``, ...; the Grassmann
            options of :class:`~mmebv.grassmann.optim.RiemannianMixin`.
    """

    def __init__(self, params, lr: float = 1e-3, **kwargs) -> None:
        super().__init__(params, lr=lr, **kwargs)

"""Optimizers that keep Grassmann parameters on their manifold and give every other parameter an
ordinary Euclidean rule (pure torch; ``mmebv.engine`` and ``mmebv.cls`` register them).

A parameter flagged ``param.grassmann = True`` holds subspaces as orthonormal rows (..., k, d)
(``GrassmannClassifier.subspaces``). :class:`RiemannianMixin` moves such parameters into param groups
of their own (``grassmann=True``, no weight decay) and steps them with Riemannian momentum SGD; the
host optimizer (SGD, AdamW, Lamb, ...) steps the other groups. It stays one ordinary torch
optimizer, so gradient clipping, parameter schedulers (which scale every group's ``lr``) and
checkpoints see all parameters and all their state.

The Grassmann step: project the gradient onto the tangent space at W (G - (G Wᵀ) W); momentum kept
in the tangent space of the current point (the buffer is projected onto the new tangent space after
each step, a vector transport); retraction along the geodesic (or a QR / polar retraction) with
step size ``lr * grassmann_lr_factor``; re-orthonormalisation by a sign-fixed QR every
``reorthonormalize_every`` steps. The GCR authors' code (innerlee/gcr, ``rsgd.py``) keeps a
Euclidean momentum buffer and re-orthonormalises with a QR whose column signs are not fixed;
transporting the momentum and fixing the signs avoids uphill momentum after a sign flip
(shared/FINDINGS.md of this project). Their transformer optimizers (``rsgd_adamw.py``,
``rsgd_lamb.py``) step the subspaces the same way, with momentum 0.9 and a learning rate of the
scheduled Adam/Lamb rate times a factor, which is what :class:`RiemannianAdamW` does here.
"""
from typing import Callable, Optional

import torch

from .manifold import geodesic_coefficients, orthonormalize, retract

RETRACTIONS = ('geodesic', 'qr', 'polar')


def is_grassmann(param: torch.Tensor) -> bool:
    """True for a parameter that holds subspaces as orthonormal rows, (..., k, d)."""
    return bool(getattr(param, 'grassmann', False))


class RiemannianMixin:
    """Put before a torch optimizer class: ``class RiemannianAdamW(RiemannianMixin, torch.optim.AdamW)``.

    Its arguments are keyword-only, beside the host optimizer's.

    Args:
        grassmann_lr_factor (float): the Grassmann step size is the group's ``lr`` times this.
            Defaults to 1.0.
        grassmann_momentum (float, optional): momentum of the Grassmann step. Defaults to None:
            the host's ``momentum`` argument where it has one (SGD), else 0.9.
        retraction (str): 'geodesic', 'qr' or 'polar'. Defaults to 'geodesic'.
        reorthonormalize_every (int): steps between two QR re-orthonormalisations (rounding drift).
            Defaults to 50.
    """

    def __init__(self, params, *args, grassmann_lr_factor: float = 1.0, grassmann_momentum: Optional[float] = None,
                 retraction: str = 'geodesic', reorthonormalize_every: int = 50, **kwargs) -> None:
        if retraction not in RETRACTIONS:
            raise ValueError(f"unknown retraction {retraction!r}: use 'geodesic', 'qr' or 'polar'")
        if reorthonormalize_every < 1 or grassmann_lr_factor < 0:
            raise ValueError(f'reorthonormalize_every must be >= 1 and grassmann_lr_factor >= 0, got '
                             f'{reorthonormalize_every} and {grassmann_lr_factor}')
        momentum = kwargs.get('momentum', 0.9) if grassmann_momentum is None else grassmann_momentum
        self._grassmann_defaults = dict(grassmann_lr_factor=grassmann_lr_factor, grassmann_momentum=momentum,
                                        retraction=retraction, reorthonormalize_every=reorthonormalize_every)
        super().__init__(params, *args, **kwargs)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group, splitting its Grassmann parameters into a group of their own."""
        params = param_group['params']
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        grassmann = [p for p in params if is_grassmann(p)]
        ordinary = [p for p in params if not is_grassmann(p)]
        if param_group.get('grassmann') and ordinary:
            raise ValueError('a param group marked grassmann=True holds parameters that are not '
                             'flagged as Grassmann bases')
        extra = {k: param_group.get(k, v) for k, v in self._grassmann_defaults.items()}
        if ordinary:
            super().add_param_group({**param_group, **extra, 'params': ordinary, 'grassmann': False})
        if grassmann:  # no decay: the bases have unit rows
            super().add_param_group({**param_group, **extra, 'params': grassmann, 'grassmann': True,
                                     'weight_decay': 0.0})

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[torch.Tensor]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        groups = self.param_groups
        for group in groups:
            if group['grassmann']:
                for param in group['params']:
                    if param.grad is not None:
                        self._grassmann_step(param, group)
        self.param_groups = [group for group in groups if not group['grassmann']]
        try:  # the host's rule, on the ordinary groups only
            if self.param_groups:
                super().step()
        finally:
            self.param_groups = groups
        return loss

    def _grassmann_step(self, param: torch.Tensor, group: dict) -> None:
        shape = param.shape
        W, G = param.detach().view(-1, *shape[-2:]), param.grad.reshape(-1, *shape[-2:])  # W: written in place
        state = self.state[param]
        buffer = state.get('momentum_buffer')
        fresh = bool(group['grassmann_momentum']) and buffer is None
        if fresh:
            buffer = state['momentum_buffer'] = torch.empty_like(param, memory_format=torch.contiguous_format)
        state['step'] = state.get('step', 0) + 1
        reorthonormalize = state['step'] % group['reorthonormalize_every'] == 0
        self._step_rows(W, G, None if buffer is None else buffer.view_as(W), group, fresh, reorthonormalize)

    @staticmethod
    def _step_rows(W: torch.Tensor, G: torch.Tensor, buffer: Optional[torch.Tensor], group: dict, fresh: bool,
                   reorthonormalize: bool) -> None:
        """The step of subspaces W (n, k, d) in place, with gradient G and momentum buffer (n, k, d)."""
        momentum, dampening = group['grassmann_momentum'], group.get('dampening', 0.0)
        step_size = -group['lr'] * group['grassmann_lr_factor']
        coords = G @ W.transpose(-2, -1)  # tangent = G - coords @ W
        if momentum and not fresh:  # buffer <- m buffer + (1 - dampening) tangent
            buffer.baddbmm_(coords, W, beta=momentum, alpha=dampening - 1).add_(G, alpha=1 - dampening)
        tangent = None
        if not momentum or fresh or group.get('nesterov'):
            tangent = torch.baddbmm(G, coords, W, alpha=-1)
        if fresh:
            buffer.copy_(tangent)
        direction = tangent if not momentum else (tangent.add(buffer, alpha=momentum) if group.get('nesterov')
                                                  else buffer)
        overlap = None  # buffer @ movedᵀ, for the transport below
        if group['retraction'] == 'geodesic':  # the step size is folded into the k x k coefficients
            # a diverged run's NaN gradient would stop eigh with an error that names no fix: the step
            # goes on (the subspaces become NaN) and the deferred checks of the forward name the fix
            gram = torch.nan_to_num(direction @ direction.transpose(-2, -1))
            along, across = geodesic_coefficients(step_size**2 * gram)
            moved = torch.bmm(along, W).baddbmm_(across, direction, alpha=step_size)
            if direction is buffer:  # buffer ⟂ W, so buffer movedᵀ = step buffer bufferᵀ acrossᵀ: no k d pass
                overlap = step_size * gram @ across.transpose(-2, -1)
        else:
            moved = retract(W, step_size * direction, group['retraction'])
        if reorthonormalize:
            moved, overlap = orthonormalize(moved), None
        W.copy_(moved)
        if momentum:  # transport the momentum to the tangent space at the new point
            overlap = buffer @ moved.transpose(-2, -1) if overlap is None else overlap
            buffer.baddbmm_(overlap, moved, alpha=-1)


class RiemannianSGD(RiemannianMixin, torch.optim.SGD):
    """torch's SGD for ordinary parameters, Riemannian momentum SGD for Grassmann ones
    (:class:`RiemannianMixin`); the Grassmann momentum, dampening and Nesterov flag are SGD's.

    Args:
        params: parameters or param groups, as for any torch optimizer.
        lr (float): learning rate.
        momentum (float): momentum factor. Defaults to 0.
        dampening (float): dampening of the momentum. Defaults to 0.
        weight_decay (float): L2 penalty for the ordinary parameters. Defaults to 0.
        nesterov (bool): Nesterov momentum. Defaults to False.
        retraction (str): 'geodesic', 'qr' or 'polar'. Defaults to 'geodesic'.
        reorthonormalize_every (int): QR re-orthonormalisation period, in steps. Defaults to 50.
        grassmann_lr_factor (float): Grassmann step size = lr times this. Defaults to 1.0.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, dampening: float = 0.0, weight_decay: float = 0.0,
                 nesterov: bool = False, **riemannian) -> None:
        super().__init__(params, lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                         nesterov=nesterov, **riemannian)


class RiemannianAdamW(RiemannianMixin, torch.optim.AdamW):
    """torch's AdamW for ordinary parameters, Riemannian momentum SGD for Grassmann ones
    (:class:`RiemannianMixin`, momentum 0.9 unless ``grassmann_momentum`` says otherwise), the
    Grassmann step size being the scheduled AdamW ``lr`` times ``grassmann_lr_factor``.

    Args:
        params: parameters or param groups, as for any torch optimizer.
        lr (float): AdamW's learning rate. Defaults to 1e-3.
        **kwargs: AdamW's ``betas``, ``eps``, ``weight_decay``, ...; the Grassmann options of
            :class:`RiemannianMixin`.
    """

    def __init__(self, params, lr: float = 1e-3, **kwargs) -> None:
        super().__init__(params, lr=lr, **kwargs)

from typing import Callable, Optional

import torch
from mmengine.registry import OPTIMIZERS
from torch.optim import Optimizer

from mmebv.grassmann import orthonormalize, project_tangent, retract


def is_grassmann(param: torch.Tensor) -> bool:
    """True for a parameter that holds subspaces as orthonormal rows, (..., k, d)."""
    return bool(getattr(param, 'grassmann', False))


@OPTIMIZERS.register_module()
class RiemannianSGD(Optimizer):
    """SGD that keeps Grassmann parameters on their manifold and treats the others as torch's SGD.

    A parameter flagged ``param.grassmann = True`` (``GrassmannClsHead`` flags its subspaces) is
    moved to a param group of its own with ``grassmann=True`` and no weight decay. For those groups
    a step projects the gradient onto the tangent space at S (G = D - S SᵀD), keeps the momentum in
    the tangent space of the current point (vector transport by projection), moves along the
    geodesic (or a QR / polar retraction) and re-orthonormalises every ``reorthonormalize_every``
    steps. Every other group gets plain SGD (momentum, dampening, weight decay, Nesterov), so
    gradient clipping, AMP's unscaling, parameter schedulers and checkpoints see one ordinary
    optimizer with all the state.

    Args:
        params: parameters or param groups, as for any torch optimizer.
        lr (float): learning rate.
        momentum (float): momentum factor. Defaults to 0.
        dampening (float): dampening of the momentum. Defaults to 0.
        weight_decay (float): L2 penalty for the ordinary parameters. Defaults to 0.
        nesterov (bool): Nesterov momentum. Defaults to False.
        retraction (str): 'geodesic', 'qr' or 'polar' for the Grassmann groups. Defaults to
            'geodesic'.
        reorthonormalize_every (int): QR re-orthonormalisation period of the Grassmann parameters,
            in steps (rounding drift). Defaults to 50.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, dampening: float = 0.0,
                 weight_decay: float = 0.0, nesterov: bool = False, retraction: str = 'geodesic',
                 reorthonormalize_every: int = 50) -> None:
        if lr < 0 or momentum < 0 or weight_decay < 0:
            raise ValueError(f'lr, momentum and weight_decay must be >= 0, got {lr}, {momentum}, {weight_decay}')
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError('Nesterov momentum needs momentum > 0 and dampening = 0')
        if retraction not in ('geodesic', 'qr', 'polar'):
            raise ValueError(f"unknown retraction {retraction!r}: use 'geodesic', 'qr' or 'polar'")
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening, weight_decay=weight_decay,
                        nesterov=nesterov, retraction=retraction,
                        reorthonormalize_every=reorthonormalize_every, grassmann=False)
        super().__init__(params, defaults)

    def add_param_group(self, param_group: dict) -> None:
        """Add a group, splitting its Grassmann parameters into a group of their own."""
        params = param_group['params']
        params = [params] if isinstance(params, torch.Tensor) else list(params)
        grassmann = [p for p in params if is_grassmann(p)]
        ordinary = [p for p in params if not is_grassmann(p)]
        if param_group.get('grassmann') and ordinary:
            raise ValueError('a param group marked grassmann=True holds parameters that are not '
                             'flagged as Grassmann bases')
        if ordinary:
            super().add_param_group({**param_group, 'params': ordinary})
        if grassmann:
            super().add_param_group({**param_group, 'params': grassmann, 'grassmann': True,
                                     'weight_decay': 0.0})  # no decay: the bases have unit columns

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None) -> Optional[torch.Tensor]:
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for param in group['params']:
                if param.grad is None:
                    continue
                if group['grassmann']:
                    self._grassmann_step(param, group)
                else:
                    self._euclidean_step(param, group)
        return loss

    def _momentum(self, param: torch.Tensor, direction: torch.Tensor, group: dict) -> torch.Tensor:
        momentum = group['momentum']
        if momentum == 0:
            return direction
        state = self.state[param]
        buffer = state.get('momentum_buffer')
        if buffer is None:
            buffer = state['momentum_buffer'] = direction.clone()
        else:
            buffer.mul_(momentum).add_(direction, alpha=1 - group['dampening'])
        return direction.add(buffer, alpha=momentum) if group['nesterov'] else buffer

    def _euclidean_step(self, param: torch.Tensor, group: dict) -> None:
        grad = param.grad
        if group['weight_decay']:
            grad = grad.add(param, alpha=group['weight_decay'])
        param.add_(self._momentum(param, grad, group), alpha=-group['lr'])

    def _grassmann_step(self, param: torch.Tensor, group: dict) -> None:
        bases = param.detach()
        tangent = project_tangent(bases, param.grad)
        direction = self._momentum(param, tangent, group)
        moved = retract(bases, -group['lr'] * direction, group['retraction'])
        state = self.state[param]
        state['step'] = state.get('step', 0) + 1
        if state['step'] % group['reorthonormalize_every'] == 0:
            moved = orthonormalize(moved)
        param.copy_(moved)
        buffer = state.get('momentum_buffer')
        if buffer is not None:  # transport the momentum to the tangent space at the new point
            buffer.copy_(project_tangent(moved, buffer))

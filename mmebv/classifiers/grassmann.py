"""GCR's classifier layer: each class a k-dim subspace (pure torch)."""
import warnings
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmebv.grassmann import orthonormality_error, projection_norms, random_subspaces

from .checks import check_count, check_real
from .layer import ClassifierLayer
from .registry import register_classifier

# Rows further than this from orthonormal mean the subspaces were updated off the manifold.
ORTHONORMAL_TOL = 1e-2
# Training forwards between two measurements of that distance (it reads all N k d numbers).
ORTHONORMAL_CHECK_EVERY = 10


@register_classifier('Grassmann')
class GrassmannClassifier(ClassifierLayer):
    """Grassmann class representation (GCR, Zhang et al., ICCV 2023): each class is a k-dim subspace.

    logit_i = scale * ||W_i x̂||, with x̂ the L2-normalised feature and W_i (k, C) orthonormal rows
    spanning class i's subspace. The bases are one parameter ``subspaces`` (N, k, C) flagged
    ``grassmann = True``: the layout of the GCR authors' (N k, C) linear weight, class i's rows
    contiguous, so the logits are one matrix product. Train them with ``RiemannianSGD`` (or
    ``RiemannianAdamW``/``RiemannianLamb``), which keeps them on the Grassmannian and gives them no
    weight decay; every 10th training forward (training mode, gradients on) measures how far they
    are from orthonormal, and a Euclidean optimizer's drift stops the run with that fix named. No
    weight init touches them (the name is not ``weight``); they start as seeded random orthonormal
    bases. The logits are never
    negative, so a sigmoid loss (Mask R-CNN's mask head) cannot use them (``signed_logits = False``).

    Args:
        in_features (int): C.
        num_classes (int): N.
        subspace_dim (int): k, the dimension of each class subspace (<= C). Defaults to 8.
        scale (float): gamma > 0, multiplies the projection norms (in [0, 1]). Defaults to 25.
        seed (int): seed of the initial bases. Defaults to 0.
        channel_dim (int): -1 for (..., C), 1 for (B, C, H, W). Defaults to -1.
        grow_from_checkpoint (bool): load a checkpoint of fewer classes, its subspaces as the first
            ones (see :class:`~mmebv.classifiers.layer.ClassifierLayer`). Defaults to False.

    Growing (:meth:`grow`, ``grow_from_checkpoint``) appends the subspaces of the new classes as a
    layer of N + M classes with the same ``seed`` starts them (seeded random orthonormal bases);
    the old subspaces, and so the old classes' logits, are unchanged.
    """

    signed_logits = False

    def __init__(self, in_features: int, num_classes: int, subspace_dim: int = 8, scale: float = 25.0,
                 seed: int = 0, channel_dim: int = -1, grow_from_checkpoint: bool = False) -> None:
        super().__init__(in_features, num_classes, channel_dim, grow_from_checkpoint)
        owner = type(self).__name__
        self.subspace_dim = check_count(owner, 'subspace_dim', subspace_dim)
        if subspace_dim > in_features:
            raise ValueError(f'{owner}: subspace_dim={subspace_dim} must be at most in_features={in_features}')
        self.scale = check_real(owner, 'scale', scale, above=0)
        self.seed = check_count(owner, 'seed', seed, minimum=0)
        self.subspaces = nn.Parameter(random_subspaces(num_classes, in_features, subspace_dim, self.seed))
        self.subspaces.grassmann = True
        self._training_forwards = 0

    def class_tensors(self) -> Dict[str, int]:
        return dict(subspaces=1)

    def append_classes(self, num_classes: int) -> None:
        new = random_subspaces(num_classes, self.in_features, self.subspace_dim, self.seed)[self.num_classes:]
        self.subspaces = nn.Parameter(torch.cat([self.subspaces.detach(), new.to(self.subspaces)]))
        self.subspaces.grassmann = True

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        if self.training and torch.is_grad_enabled():  # a training step
            if self._training_forwards % ORTHONORMAL_CHECK_EVERY == 0:
                error = orthonormality_error(self.subspaces.detach())
                self.checks.expect('grassmann', error > ORTHONORMAL_TOL, RuntimeError,
                                   'the class subspaces left the Grassmannian (max |W Wᵀ - I| = {0:.3g}): train '
                                   'them with optim_wrapper.optimizer.type=\'RiemannianSGD\' (custom_imports: '
                                   'mmebv.engine)', error)
            self._training_forwards += 1
        return self.scale * projection_norms(F.normalize(x, dim=-1), self.subspaces.to(x.dtype))

    def class_representation(self) -> torch.Tensor:
        """The class subspaces as orthonormal rows (N, k, C)."""
        return self.subspaces.detach()

    def from_authors_layout(self, weight: torch.Tensor) -> torch.Tensor:
        """The GCR authors' head weight as ``subspaces``.

        Their head (innerlee/gcr, ``gcr/grassmann_head.py``) holds one bias-free
        ``fc = nn.Linear(C, N k)``, class i's basis in rows ``i k`` to ``(i + 1) k - 1``, and no other
        tensor; its logits are gamma * ||fc(x̂) reshaped (N, k)||, which are this layer's. The weight
        is reshaped, never changed, so the logits are theirs even where its rows are not exactly
        orthonormal (a warning says how far they are).

        Args:
            weight (Tensor): (N k, C).

        Returns:
            Tensor: (N, k, C).
        """
        n, k, c = self.num_classes, self.subspace_dim, self.in_features
        if weight.dim() != 2 or tuple(weight.shape) != (n * k, c):
            rows = weight.shape[0] if weight.dim() == 2 else None
            fit = f' (subspace_dim={rows // n} would fit {rows} rows)' if rows and rows % n == 0 else ''
            raise ValueError(f'head.fc.weight of shape {tuple(weight.shape)} (the GCR authors\' layout: N k rows of '
                             f'C) does not fit num_classes={n}, subspace_dim={k}, in_channels={c}: set them to '
                             f'those the checkpoint was trained with{fit}')
        subspaces = weight.reshape(n, k, c)
        error = float(orthonormality_error(subspaces.double()))
        if error > ORTHONORMAL_TOL:
            warnings.warn(f'{type(self).__name__}: the loaded subspaces are up to {error:.3g} from orthonormal '
                          f'(max |W Wᵀ - I|): evaluation gives the logits the checkpoint\'s authors computed, but '
                          f'training refuses subspaces further than {ORTHONORMAL_TOL} from orthonormal', stacklevel=2)
        return subspaces.contiguous()

    def import_host_keys(self, state_dict: Dict[str, torch.Tensor], host_prefix: str, prefix: str,
                         errors: list) -> None:
        """Take the GCR authors' ``<host>fc.weight`` (their head's only tensor) as ``subspaces``."""
        if host_prefix + 'fc.weight' in state_dict and prefix + 'subspaces' not in state_dict:
            try:
                state_dict[prefix + 'subspaces'] = self.from_authors_layout(state_dict[host_prefix + 'fc.weight'])
                del state_dict[host_prefix + 'fc.weight']
            except ValueError as error:  # torch's convention: reported with the keys left over
                errors.append(str(error))

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, subspace_dim={self.subspace_dim}, scale={self.scale}'

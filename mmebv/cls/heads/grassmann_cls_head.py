import warnings
from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmebv.grassmann import orthonormality_error, projection_norms, random_subspaces
from mmebv.utils.memory import ReusableMemory

from .checked_cls_head import CheckedClsHead

# Rows further than this from orthonormal mean the subspaces were updated off the manifold.
ORTHONORMAL_TOL = 1e-2
# Loss computations between two measurements of that distance (it reads all N k d numbers).
ORTHONORMAL_CHECK_EVERY = 10


@MODELS.register_module()
class GrassmannClsHead(CheckedClsHead):
    """Grassmann class representation (GCR, ICCV 2023): each class is a k-dim subspace.

    logit_i = scale * ||W_i x̂||, with x̂ the L2-normalised feature and W_i (k, d) orthonormal rows
    spanning class i's subspace. The bases are one parameter ``subspaces`` (N, k, d) flagged
    ``grassmann = True``: the layout of the GCR authors' (N k, d) linear weight, class i's rows
    contiguous, so the logits are one matrix product. Train them with ``RiemannianSGD``
    (mmebv.engine), which keeps them on the Grassmannian and gives them no weight decay. No weight
    init touches them (the name is not ``weight``); they start as seeded random orthonormal bases.
    Checkpoints of mmebv 0.1, which stored (N, d, k) column bases, and the GCR authors' released
    checkpoints (``head.fc.weight``, (N k, d), see :meth:`from_authors_layout`) load as they are.

    Args:
        num_classes (int): number of classes N.
        in_channels (int): size d of the feature that reaches the head.
        subspace_dim (int): k, the dimension of each class subspace. Defaults to 8.
        scale (float): gamma, multiplies the projection norms (in [0, 1]). Defaults to 25.
        seed (int): seed of the initial bases. Defaults to 0.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg`` as for ``ClsHead``.

    Example:
        >>> head = dict(type='GrassmannClsHead', num_classes=1000, in_channels=2048, subspace_dim=8)
    """

    def __init__(self, num_classes: int, in_channels: int, subspace_dim: int = 8, scale: float = 25.0,
                 seed: int = 0, **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        self.subspace_dim, self.scale = subspace_dim, float(scale)
        self.subspaces = nn.Parameter(random_subspaces(num_classes, in_channels, subspace_dim, seed))
        self.subspaces.grassmann = True
        self._subspace_gradient = ReusableMemory()
        self._losses_computed = 0

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features of the last stage -> (B, N) logits."""
        x = self.pre_logits(feats)
        return self.scale * projection_norms(F.normalize(x, dim=-1), self.subspaces.to(x.dtype),
                                             self._subspace_gradient)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        if prefix + 'fc.weight' in state_dict and prefix + 'subspaces' not in state_dict:  # the GCR authors'
            try:
                state_dict[prefix + 'subspaces'] = self.from_authors_layout(state_dict[prefix + 'fc.weight'])
                del state_dict[prefix + 'fc.weight']
            except ValueError as error:  # torch's convention: reported with the keys left over
                args[4].append(str(error))
        saved = state_dict.get(prefix + 'subspaces')
        old_layout = (self.num_classes, self.in_channels, self.subspace_dim)
        if saved is not None and tuple(saved.shape) == old_layout != tuple(self.subspaces.shape):
            state_dict[prefix + 'subspaces'] = saved.transpose(-2, -1).contiguous()  # mmebv 0.1's columns
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def from_authors_layout(self, weight: torch.Tensor) -> torch.Tensor:
        """The GCR authors' head weight as ``subspaces``.

        Their head (innerlee/gcr, ``gcr/grassmann_head.py``) holds one bias-free
        ``fc = nn.Linear(C, N k)``, class i's basis in rows ``i k`` to ``(i + 1) k - 1``, and no other
        tensor; its logits are gamma * ||fc(x̂) reshaped (N, k)||, which are this head's. So their
        checkpoints (``head.fc.weight``) load as they are; the weight is reshaped, never changed,
        so the logits are theirs even where its rows are not exactly orthonormal.

        Args:
            weight (Tensor): (N k, C).

        Returns:
            Tensor: (N, k, C).
        """
        n, k, c = self.num_classes, self.subspace_dim, self.in_channels
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

    def orthonormality_error(self) -> torch.Tensor:
        """max |W_i W_iᵀ - I| over all classes (a scalar tensor on the subspaces' device)."""
        return orthonormality_error(self.subspaces.detach())

    def losses(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        if self._losses_computed % ORTHONORMAL_CHECK_EVERY == 0:
            error = self.orthonormality_error()
            self.checks.expect('grassmann', error > ORTHONORMAL_TOL, RuntimeError,
                               'the class subspaces left the Grassmannian (max |W Wᵀ - I| = {0:.3g}): train '
                               'GrassmannClsHead with optim_wrapper.optimizer.type=\'RiemannianSGD\' '
                               '(custom_imports: mmebv.engine)', error)
        self._losses_computed += 1
        return super().losses(feats, data_samples, **kwargs)

    def class_representation(self) -> torch.Tensor:
        """The class subspaces as orthonormal rows (N, k, d)."""
        return self.subspaces.detach()

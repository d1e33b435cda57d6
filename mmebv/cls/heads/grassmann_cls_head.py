from typing import List, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmebv.grassmann import random_subspaces

from .checked_cls_head import CheckedClsHead

# Columns further than this from orthonormal mean the subspaces were updated off the manifold.
ORTHONORMAL_TOL = 1e-2


@MODELS.register_module()
class GrassmannClsHead(CheckedClsHead):
    """Grassmann class representation (GCR, ICCV 2023): each class is a k-dim subspace.

    logit_i = scale * ||S_iᵀ x̂||, with x̂ the L2-normalised feature and S_i (d, k) an orthonormal
    basis of class i's subspace. The bases are one parameter ``subspaces`` (N, d, k) flagged
    ``grassmann = True``: train them with ``RiemannianSGD`` (mmebv.engine), which keeps them on the
    Grassmannian and gives them no weight decay. No weight init touches them (the name is not
    ``weight``); they start as seeded random orthonormal bases.

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

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features of the last stage -> (B, N) logits."""
        x = self.pre_logits(feats)
        coords = torch.einsum('bd,ndk->bnk', F.normalize(x, dim=-1), self.subspaces.to(x.dtype))
        return self.scale * coords.norm(dim=-1)

    def orthonormality_error(self) -> torch.Tensor:
        """max |SᵢᵀSᵢ - I| over all classes (a scalar tensor on the subspaces' device)."""
        S = self.subspaces.detach()
        gram = S.transpose(-2, -1) @ S
        return (gram - torch.eye(self.subspace_dim, dtype=S.dtype, device=S.device)).abs().max()

    def losses(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        error = self.orthonormality_error()
        self.checks.expect('grassmann', error > ORTHONORMAL_TOL, RuntimeError,
                           'the class subspaces left the Grassmannian (max |SᵀS - I| = {0:.3g}): train '
                           'GrassmannClsHead with optim_wrapper.optimizer.type=\'RiemannianSGD\' '
                           '(custom_imports: mmebv.engine)', error)
        return super().losses(feats, data_samples, **kwargs)

    def class_representation(self) -> torch.Tensor:
        """The class subspaces' orthonormal bases (N, d, k)."""
        return self.subspaces.detach()

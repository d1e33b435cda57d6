from typing import List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmebv.ebv.basis import orthonormal_rows

from .checked_cls_head import CheckedClsHead

DECISIONS = ('residual', 'crc')


@MODELS.register_module()
class DMLCRCClsHead(CheckedClsHead):
    """Collaborative-representation classifier under a learned Mahalanobis metric (DML-CRC).

    Formulation (one batch of features x_b ∈ R^d, N classes with m learnable atoms each):

    1. Metric: M = LᵀL with L ∈ R^{r×d}, so M is positive semi-definite by construction and
       ||u||_M = ||L u||. Features and atoms are mapped by L and L2-normalised there:
       x̃ = Lx / ||Lx||, Ã = [L a_1 / ||L a_1||, ...] ∈ R^{r×Nm}.
    2. Collaborative coding over all classes' atoms at once (ridge regression):
       α = argmin ||x̃ - Ãα||² + λ||α||² = (ÃᵀÃ + λI)⁻¹ Ãᵀx̃, computed with a Cholesky
       factorisation and a triangular solve (never an explicit inverse); λ > 0 keeps the system
       positive definite, so the solve is stable even when atoms are collinear.
    3. Class residual r_c = ||x̃ - Ã_c α_c||² (the metric distance of x to the part of its
       reconstruction made of class c's atoms). With ``decision='residual'`` (the default) the
       logits are -scale · r_c, so the class that best reconstructs the feature wins; with
       ``decision='crc'`` they are -scale · sqrt(r_c) / ||α_c||, the regularised residual by which
       collaborative representation classifies (Zhang, Yang & Feng, "Sparse representation or
       collaborative representation: which helps face recognition?", ICCV 2011).
    4. Loss: ``loss_crc`` = cross-entropy on those logits (it trains L, the atoms and the
       backbone end to end through the solve), plus ``loss_ce`` = ``ce_weight`` × cross-entropy of
       a linear classifier on x — the collaborative loss. Prediction uses the residuals only.

    Why this form: learnable class atoms (rather than the training set, as in classic CRC) keep
    the coding cost fixed (an Nm × Nm solve per batch) and make the head an ordinary module that
    trains and checkpoints like any other; normalising in the metric space keeps the residuals of
    the order of 1 whatever the feature size, so one ``scale`` works across sizes (they are not
    bounded by 1: a class's part of the reconstruction can point away from x̃).

    The metric starts as the Euclidean one when r = d (L = I); when r < d, L starts as r random
    orthonormal rows, a projection that keeps every channel in play (a truncated identity would
    ignore d - r of them).

    Args:
        num_classes (int): number of classes N.
        in_channels (int): feature size d.
        metric_dim (int, optional): r, rows of L. Defaults to d (a full-rank metric).
        atoms_per_class (int): m. Defaults to 4.
        ridge (float): λ of the ridge coding. Defaults to 0.1.
        scale (float): logits = -scale · residual. Defaults to 16.
        decision (str): 'residual' or 'crc', the rule the logits follow (see 3.). Defaults to
            'residual'.
        ce_weight (float): weight of the linear cross-entropy term; 0 leaves it out.
            Defaults to 1.0.
        seed (int): seed of the atoms' initialisation. Defaults to 0.

    Example:
        >>> head = dict(type='DMLCRCClsHead', num_classes=200, in_channels=2048, metric_dim=512)
    """

    def __init__(self, num_classes: int, in_channels: int, metric_dim: Optional[int] = None,
                 atoms_per_class: int = 4, ridge: float = 0.1, scale: float = 16.0, ce_weight: float = 1.0,
                 seed: int = 0, decision: str = 'residual', **kwargs) -> None:
        super().__init__(num_classes, in_channels, **kwargs)
        if ridge <= 0:
            raise ValueError(f'ridge must be > 0 for a well-posed coding, got {ridge}')
        if decision not in DECISIONS:
            raise ValueError(f'decision must be one of {DECISIONS}, got {decision!r}')
        self.decision = decision
        metric_dim = metric_dim or in_channels
        self.atoms_per_class, self.ridge, self.scale, self.ce_weight = atoms_per_class, ridge, float(scale), ce_weight
        generator = torch.Generator().manual_seed(seed)
        self.atoms = nn.Parameter(torch.randn(num_classes * atoms_per_class, in_channels, generator=generator))
        start = orthonormal_rows(metric_dim, in_channels, seed + 1) if metric_dim < in_channels else \
            torch.eye(metric_dim, in_channels)
        self.metric = nn.Parameter(start)  # L
        self.fc = nn.Linear(in_channels, num_classes) if ce_weight else None

    def residuals(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features of the last stage -> (B, N) class residuals in the learned metric."""
        return self._coding(self.pre_logits(feats))[0]

    def _coding(self, x: torch.Tensor) -> tuple:
        """(B, C) checked features -> the (B, N) residuals r_c and the (B, N) norms ||α_c||."""
        x = F.normalize(x @ self.metric.T, dim=-1)  # (B, r)
        atoms = F.normalize(self.atoms @ self.metric.T, dim=-1)  # (Nm, r)
        gram = atoms @ atoms.T + self.ridge * torch.eye(atoms.shape[0], dtype=x.dtype, device=x.device)
        codes = torch.cholesky_solve(atoms @ x.T, torch.linalg.cholesky(gram))  # (Nm, B)
        m = self.atoms_per_class
        codes = codes.view(self.num_classes, m, -1)
        parts = torch.einsum('cmr,cmb->bcr', atoms.view(self.num_classes, m, -1), codes)
        return (x[:, None, :] - parts).pow(2).sum(-1), codes.norm(dim=1).T

    def _logits(self, x: torch.Tensor) -> torch.Tensor:
        residuals, code_norms = self._coding(x)
        if self.decision == 'residual':
            return -self.scale * residuals
        return -self.scale * residuals.clamp_min(1e-12).sqrt() / code_norms.clamp_min(1e-6)

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features -> (B, N) logits (see ``decision``)."""
        return self._logits(self.pre_logits(feats))

    def losses(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        x, target = self.pre_logits(feats), self.targets(data_samples)
        losses = {'loss_crc': self.loss_on_target(self._logits(x), target, **kwargs)['loss']}
        if self.fc is not None:
            linear = self.fc(x)
            losses['loss_ce'] = self.ce_weight * self.loss_on_target(linear, target, **kwargs)['loss']
        return losses

    def class_representation(self) -> None:
        """None: a class is a set of atoms compared under a learned metric, not one direction."""
        return None

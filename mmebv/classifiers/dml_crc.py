"""DML-CRC's classifier layer: collaborative-representation residuals under a learned metric (pure torch)."""
from typing import Dict, Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmebv.ebv.basis import orthonormal_rows

from .checks import check_count, check_real
from .layer import IGNORE, ClassifierLayer
from .registry import register_classifier

DECISIONS = ('residual', 'crc')


@register_classifier('DMLCRC')
class DMLCRCClassifier(ClassifierLayer):
    """Collaborative-representation classifier under a learned Mahalanobis metric (DML-CRC).

    Formulation (features x ∈ R^C, N classes with m learnable atoms each):

    1. Metric: M = LᵀL with L ∈ R^{r×C}, so M is positive semi-definite by construction and
       ||u||_M = ||L u||. Features and atoms are mapped by L and L2-normalised there:
       x̃ = Lx / ||Lx||, Ã = [L a_1 / ||L a_1||, ...] ∈ R^{r×Nm}.
    2. Collaborative coding over all classes' atoms at once (ridge regression):
       α = argmin ||x̃ - Ãα||² + λ||α||² = (ÃᵀÃ + λI)⁻¹ Ãᵀx̃, computed with a Cholesky
       factorisation and a triangular solve (never an explicit inverse); λ > 0 keeps the system
       positive definite, so the solve is stable even when atoms are collinear.
    3. Class residual r_c = ||x̃ - Ã_c α_c||² (the metric distance of x to the part of its
       reconstruction made of class c's atoms), expanded as ||x̃||² - 2 α_cᵀ Ã_cᵀx̃ + α_cᵀ Ã_cᵀÃ_c α_c
       so that no (features x classes x r) tensor is formed (a segmentation map has tens of
       thousands of features). With ``decision='residual'`` (the default) the logits are
       -scale · r_c, so the class that best reconstructs the feature wins; with ``decision='crc'``
       they are -scale · sqrt(r_c) / ||α_c||, the regularised residual by which collaborative
       representation classifies (Zhang, Yang & Feng, "Sparse representation or collaborative
       representation: which helps face recognition?", ICCV 2011).
    4. Loss: the host's loss on those logits trains L, the atoms and the backbone end to end
       through the solve; the layer adds ``loss_linear_ce`` = ``ce_weight`` × cross-entropy of a linear
       classifier on x — the collaborative loss. Prediction uses the residuals only.

    Why this form: learnable class atoms (rather than the training set, as in classic CRC) keep
    the coding cost fixed (an Nm × Nm factorisation per step) and make the layer an ordinary module
    that trains and checkpoints like any other; normalising in the metric space keeps the residuals
    of the order of 1 whatever the feature size, so one ``scale`` works across sizes.

    The metric starts as the Euclidean one when r = C (L = I); when r < C, L starts as r random
    orthonormal rows, a projection that keeps every channel in play. The logits are never positive,
    so a sigmoid loss cannot use them (``signed_logits = False``).

    Args:
        in_features (int): C.
        num_classes (int): N.
        metric_dim (int, optional): r, rows of L (<= C). Defaults to C (a full-rank metric).
        atoms_per_class (int): m. Defaults to 4.
        ridge (float): λ > 0 of the ridge coding. Defaults to 0.1.
        scale (float): > 0, logits = -scale · residual. Defaults to 16.
        decision (str): 'residual' or 'crc', the rule the logits follow (see 3.). Defaults to
            'residual'.
        ce_weight (float): weight (>= 0) of the linear cross-entropy term; 0 leaves it (and its
            linear layer) out. Defaults to 1.0.
        seed (int): seed of the atoms' initialisation. Defaults to 0.
        channel_dim (int): -1 for (..., C), 1 for (B, C, H, W). Defaults to -1.
        grow_from_checkpoint (bool): load a checkpoint of fewer classes, its atoms and linear rows as
            the first ones (see :class:`~mmebv.classifiers.layer.ClassifierLayer`). Defaults to False.

    Growing (:meth:`grow`, ``grow_from_checkpoint``) appends m atoms per new class (drawn as a layer
    of N + M classes with the same ``seed`` draws them) and a row per new class to the linear
    classifier (initialised as ``nn.Linear`` initialises it); the old atoms, their linear rows and
    the metric L stay as they are. The old classes' logits do change: the ridge coding is
    collaborative over all atoms, so every code, and with it every class's residual, depends on the
    new atoms too.
    """

    signed_logits = False

    def __init__(self, in_features: int, num_classes: int, metric_dim: Optional[int] = None, atoms_per_class: int = 4,
                 ridge: float = 0.1, scale: float = 16.0, decision: str = 'residual', ce_weight: float = 1.0,
                 seed: int = 0, channel_dim: int = -1, grow_from_checkpoint: bool = False) -> None:
        super().__init__(in_features, num_classes, channel_dim, grow_from_checkpoint)
        owner = type(self).__name__
        metric_dim = in_features if metric_dim is None else check_count(owner, 'metric_dim', metric_dim)
        if metric_dim > in_features:
            raise ValueError(f'{owner}: metric_dim={metric_dim} must be at most in_features={in_features}')
        self.atoms_per_class = check_count(owner, 'atoms_per_class', atoms_per_class)
        self.ridge = check_real(owner, 'ridge', ridge, above=0)
        self.scale = check_real(owner, 'scale', scale, above=0)
        self.ce_weight = check_real(owner, 'ce_weight', ce_weight, minimum=0)
        if decision not in DECISIONS:
            raise ValueError(f'{owner}: decision must be one of {DECISIONS}, got {decision!r}')
        self.decision = decision
        self.seed = seed = check_count(owner, 'seed', seed, minimum=0)
        self.atoms = nn.Parameter(self.initial_atoms(num_classes))
        start = orthonormal_rows(metric_dim, in_features, seed + 1) if metric_dim < in_features else \
            torch.eye(metric_dim, in_features)
        self.metric = nn.Parameter(start)  # L
        self.fc = nn.Linear(in_features, num_classes) if self.ce_weight else None

    def initial_atoms(self, num_classes: int) -> torch.Tensor:
        """The atoms a layer of ``num_classes`` classes starts with: (N m, C), seeded."""
        generator = torch.Generator().manual_seed(self.seed)
        return torch.randn(num_classes * self.atoms_per_class, self.in_features, generator=generator)

    def class_tensors(self) -> Dict[str, int]:
        tensors = dict(atoms=self.atoms_per_class)
        if self.fc is not None:
            tensors.update({'fc.weight': 1, 'fc.bias': 1})
        return tensors

    def append_classes(self, num_classes: int) -> None:
        old = self.num_classes * self.atoms_per_class
        new = self.initial_atoms(num_classes)[old:].to(self.atoms)
        self.atoms = nn.Parameter(torch.cat([self.atoms.detach(), new]))
        if self.fc is not None:
            fc = nn.Linear(self.in_features, num_classes).to(self.fc.weight)
            with torch.no_grad():
                fc.weight[:self.num_classes] = self.fc.weight
                fc.bias[:self.num_classes] = self.fc.bias
            self.fc = fc

    def coding(self, x: torch.Tensor) -> tuple:
        """(..., C) channels-last features -> the (..., N) residuals r_c and norms ||α_c||."""
        shape = x.shape[:-1]
        x = F.normalize(x.reshape(-1, x.shape[-1]) @ self.metric.T, dim=-1)  # (M, r)
        atoms = F.normalize(self.atoms @ self.metric.T, dim=-1)  # (Nm, r)
        gram = atoms @ atoms.T  # (Nm, Nm)
        system = gram + self.ridge * torch.eye(gram.shape[0], dtype=x.dtype, device=x.device)
        correlations = atoms @ x.T  # (Nm, M)
        # cholesky_ex: a non-finite system (the network diverged) gives non-finite codes, which the
        # deferred checks report, instead of an error that names no fix; no host read either
        codes = torch.cholesky_solve(correlations, torch.linalg.cholesky_ex(system).L)  # (Nm, M)
        n, m = self.num_classes, self.atoms_per_class
        blocks = gram.view(n, m, n, m).diagonal(dim1=0, dim2=2).permute(2, 0, 1)  # (N, m, m): Ã_cᵀÃ_c
        codes_c = codes.view(n, m, -1)
        reconstructed = torch.einsum('cij,cjb->cib', blocks, codes_c)  # Ã_cᵀÃ_c α_c
        residuals = (x.pow(2).sum(-1) - (codes_c * (2 * correlations.view(n, m, -1) - reconstructed)).sum(1))  # (N, M)
        return residuals.T.reshape(*shape, n), codes_c.norm(dim=1).T.reshape(*shape, n)

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        residuals, code_norms = self.coding(x)
        if self.decision == 'residual':
            return -self.scale * residuals
        return -self.scale * residuals.clamp_min(1e-12).sqrt() / code_norms.clamp_min(1e-6)

    @property
    def has_loss_terms(self) -> bool:
        return self.fc is not None

    def loss_terms(self, x: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        if self.fc is None:
            return {}
        linear = self.fc(x.movedim(self.channel_dim, -1)).flatten(0, -2)  # (M, N)
        if target.is_floating_point():  # soft scores (B, N)
            return dict(loss_linear_ce=self.ce_weight * F.cross_entropy(linear, target))
        labels = target.reshape(-1)
        total = F.cross_entropy(linear, labels, ignore_index=IGNORE, reduction='sum')
        return dict(loss_linear_ce=self.ce_weight * total / (labels != IGNORE).sum().clamp_min(1))

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, atoms_per_class={self.atoms_per_class}, metric_dim={self.metric.shape[0]}, '
                f'decision={self.decision!r}')

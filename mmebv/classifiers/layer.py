"""The contract every classifier method keeps, whatever host runs it (pure torch).

A method is one :class:`ClassifierLayer` subclass, registered by name with
:func:`~mmebv.classifiers.registry.register_classifier`. It stands where an ``nn.Linear`` (features
(..., C) -> logits (..., N)) or a 1x1 classifier conv (``channel_dim=1``: (B, C, H, W) ->
(B, N, H, W)) stands, so one adapter per host serves every method: mmpretrain's head, mmdet's box
predictor and mask head, mmseg's decode heads build it from ``classifier=dict(type=...)`` and fill
in the sizes. What a layer declares beyond its logits:

- :meth:`loss_terms`: the loss terms the method adds to the host's loss on the logits (a
  regulariser, an auxiliary classifier), from the same input;
- :meth:`class_representation`: its classes as vectors (N, d) or subspaces (N, k, d), for the
  analysis tools;
- ``soft_targets``: whether its loss terms accept soft targets (Mixup, CutMix);
- ``signed_logits``: whether its logits take both signs (a sigmoid loss, as Mask R-CNN's mask
  head uses, can then predict either side);
- ``_version``: the layout of its state dict. A layer that changes its layout raises ``_version``
  and rewrites older state dicts in :meth:`migrate`, as detectron2's modules do; torch records
  each module's version in the state dict's metadata.

Every layer checks its input (the feature size, finiteness; read on the host every 50 updates on an
accelerator, see :mod:`.checks`).
"""
from typing import Dict, Optional

import torch
import torch.nn as nn

from .checks import attach_checks, check_count, check_feature_size, expect_finite

# What loss_terms' targets hold where a host has no label (mmseg's ignore_index is mapped to it).
IGNORE = -1


class ClassifierLayer(nn.Module):
    """Base of the classifier layers: logits along ``channel_dim``, with the checks every method needs.

    Subclasses implement :meth:`logits` on (..., C) features; they may override :meth:`loss_terms`,
    :meth:`class_representation` and :meth:`migrate`.

    Args:
        in_features (int): C, the size of the input features.
        num_classes (int): N, the number of outputs.
        channel_dim (int): the input's feature dim: -1 for (..., C), 1 for (B, C, H, W). Defaults
            to -1.
    """

    _version = 1
    name = ''
    soft_targets = True
    signed_logits = True

    def __init__(self, in_features: int, num_classes: int, channel_dim: int = -1) -> None:
        super().__init__()
        owner = type(self).__name__
        self.in_features = check_count(owner, 'in_features', in_features)
        self.num_classes = check_count(owner, 'num_classes', num_classes)
        if channel_dim not in (-1, 1):
            raise ValueError(f'{owner}: channel_dim={channel_dim!r} must be -1 (..., C) or 1 (B, C, H, W)')
        self.channel_dim = channel_dim
        attach_checks(self)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., N) logits along ``channel_dim``."""
        self.check_input(x)
        return self.logits(x.movedim(self.channel_dim, -1)).movedim(-1, self.channel_dim)

    def check_input(self, x: torch.Tensor) -> None:
        """The feature size (names ``in_channels``) and finiteness of ``x``."""
        check_feature_size(x, self.in_features, self.channel_dim, type(self).__name__)
        expect_finite(self.checks, 'features', x, f'features reached {type(self).__name__}')

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) features, channels last -> (..., N) logits."""
        raise NotImplementedError

    def loss_terms(self, x: torch.Tensor, target: torch.Tensor) -> Dict[str, torch.Tensor]:
        """The method's own loss terms beside the host's loss on the logits; none by default.

        Args:
            x (Tensor): the input ``forward`` got, (..., C) along ``channel_dim``.
            target (Tensor): hard labels in x's layout without its channel dim (entries equal to
                :data:`IGNORE` count for nothing), or (B, N) soft scores where ``soft_targets``.

        Returns:
            dict[str, Tensor]: scalar terms, each named ``loss_*`` (the hosts sum every such key).
        """
        return {}

    @property
    def has_loss_terms(self) -> bool:
        """Whether :meth:`loss_terms` adds anything with this configuration."""
        return False

    def class_representation(self) -> Optional[torch.Tensor]:
        """The classes as this layer holds them, detached: (N, d) vectors or (N, k, d) orthonormal
        subspace bases; None when no single representation exists."""
        return None

    def import_host_keys(self, state_dict: dict, host_prefix: str, prefix: str, errors: list) -> None:
        """Rename, in place, entries that a method's original code saved under its host's prefix
        (e.g. the GCR authors' ``head.fc.weight``) to this layer's keys under ``prefix``; append
        what cannot be taken to ``errors``. Hosts whose checkpoints such code wrote call it."""

    def migrate(self, state_dict: dict, prefix: str, version: int) -> None:
        """Rewrite, in place, the entries (under ``prefix``) of a state dict saved by an older
        ``_version`` of this layer."""

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args, **kwargs) -> None:
        version = local_metadata.get('version')
        if version is not None and version < self._version:  # None: a state dict without metadata
            self.migrate(state_dict, prefix, version)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, *args, **kwargs)

    def extra_repr(self) -> str:
        return f'in_features={self.in_features}, num_classes={self.num_classes}, channel_dim={self.channel_dim}'


def add_loss_terms(losses: Dict[str, torch.Tensor], layer: ClassifierLayer, x: torch.Tensor,
                   target: torch.Tensor) -> Dict[str, torch.Tensor]:
    """``losses`` (the host's) with ``layer``'s :meth:`~ClassifierLayer.loss_terms` added; a term
    named like one of the host's losses is refused rather than silently replacing it."""
    terms = layer.loss_terms(x, target)
    clash = sorted(set(terms) & set(losses))
    if clash:
        raise KeyError(f'{type(layer).__name__}\'s loss terms {clash} have the names of the host\'s own losses: '
                       f'rename the host loss (e.g. its loss_name)')
    losses.update(terms)
    return losses


def flat_labels(target: torch.Tensor) -> tuple:
    """Hard labels of any layout as a flat (M, ) tensor and the mask of those that count."""
    labels = target.reshape(-1)
    valid = labels != IGNORE
    return labels, valid

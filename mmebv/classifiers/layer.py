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
- :meth:`grow`: more classes, the old ones' vectors or weights unchanged; and with
  ``grow_from_checkpoint=True``, loading a checkpoint of fewer classes (old rows from the
  checkpoint, new ones as this layer built them; see :meth:`grow_entries`);
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
    :meth:`class_representation` and :meth:`migrate`; a layer that can take new classes declares
    its per-class tensors in :meth:`class_tensors` and adds their rows in :meth:`append_classes`.

    Args:
        in_features (int): C, the size of the input features.
        num_classes (int): N, the number of outputs.
        channel_dim (int): the input's feature dim: -1 for (..., C), 1 for (B, C, H, W). Defaults
            to -1.
        grow_from_checkpoint (bool): a checkpoint of fewer classes loads into this layer: its
            class rows become the first ones, the others stay as built here (new classes); every
            other difference is still refused. Without it a checkpoint of another class count is
            refused (or, for trainable layers, reported by the loader as a size mismatch).
            Defaults to False.
    """

    _version = 1
    name = ''
    soft_targets = True
    signed_logits = True

    def __init__(self, in_features: int, num_classes: int, channel_dim: int = -1,
                 grow_from_checkpoint: bool = False) -> None:
        super().__init__()
        owner = type(self).__name__
        self.in_features = check_count(owner, 'in_features', in_features)
        self.num_classes = check_count(owner, 'num_classes', num_classes)
        if channel_dim not in (-1, 1):
            raise ValueError(f'{owner}: channel_dim={channel_dim!r} must be -1 (..., C) or 1 (B, C, H, W)')
        self.channel_dim = channel_dim
        if not isinstance(grow_from_checkpoint, bool):
            raise ValueError(f'{owner}: grow_from_checkpoint={grow_from_checkpoint!r} must be True or False')
        self.grow_from_checkpoint = grow_from_checkpoint
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

    def class_tensors(self) -> Dict[str, int]:
        """The state-dict entries (relative names) whose dim 0 runs over classes, each with its rows
        per class, e.g. ``{'weight': 1}``; empty for a layer that cannot grow."""
        return {}

    def append_classes(self, num_classes: int) -> None:
        """Add the rows of classes ``self.num_classes`` to ``num_classes - 1`` to every tensor of
        :meth:`class_tensors`, as this layer would have built them with ``num_classes``."""
        raise TypeError(f'{type(self).__name__} cannot grow: it declares no per-class tensors '
                        f'(class_tensors) and no way to add classes (append_classes)')

    def grow(self, num_classes: int) -> None:
        """Take ``num_classes`` classes, more than now: the old classes' vectors and weights stay
        bit for bit, the new ones are initialised as a layer built with ``num_classes`` initialises
        them. Call it before the optimizer is built (it replaces the per-class parameters); the
        host's own ``num_classes`` is the host's to update.

        Args:
            num_classes (int): N + M > N.
        """
        self.check_growth(num_classes)
        self.append_classes(num_classes)
        self.num_classes = num_classes

    def check_growth(self, num_classes: int) -> None:
        """Raise ``ValueError`` unless ``num_classes`` is an integer above the current count."""
        owner = type(self).__name__
        check_count(owner, 'num_classes', num_classes)
        if num_classes <= self.num_classes:
            raise ValueError(f'{owner}.grow({num_classes}): it holds {self.num_classes} classes already; grow '
                             f'takes a larger count (old classes plus new ones)')

    def grow_entries(self, state_dict: dict, prefix: str) -> Optional[int]:
        """With ``grow_from_checkpoint``: a state dict of fewer classes rewritten, in place, to this
        layer's class count, the checkpoint's rows first and this layer's own rows after them.

        Returns:
            int or None: the checkpoint's class count where it was grown, else None.

        Raises:
            ValueError: the checkpoint holds more classes than this layer, its class tensors
                disagree on the count, or a class tensor differs in anything but its rows (the key
                and both shapes named).
        """
        if not self.grow_from_checkpoint:
            return None
        tensors = self.class_tensors()
        if not tensors:
            self.append_classes(self.num_classes + 1)  # raises, naming what the layer lacks
        own = dict(self.named_parameters(recurse=True))
        own.update(self.named_buffers(recurse=True))
        counts = {}
        for key, per_class in tensors.items():
            saved = state_dict.get(prefix + key)
            if isinstance(saved, torch.Tensor) and saved.dim() >= 1 and key in own:
                counts[key] = saved.shape[0] / per_class
        if not counts or all(n == self.num_classes for n in counts.values()):
            return None
        owner = type(self).__name__
        if len(set(counts.values())) > 1 or any(n != int(n) for n in counts.values()):
            raise ValueError(f'{owner}: the checkpoint\'s class tensors under {prefix!r} hold different class counts '
                             f'({counts}): it is not a checkpoint of this layer')
        old = int(next(iter(counts.values())))
        if old > self.num_classes:
            raise ValueError(f'{owner}: the checkpoint holds {old} classes, more than the {self.num_classes} this '
                             f'config builds: a grown model holds at least its checkpoint\'s classes; set num_classes '
                             f'to {old} or more')
        for key, per_class in tensors.items():
            if key not in counts:
                continue
            saved, current = state_dict[prefix + key], own[key]
            if tuple(saved.shape[1:]) != tuple(current.shape[1:]):
                raise ValueError(f'{owner}: {prefix + key} has shape {tuple(saved.shape)} in the checkpoint and '
                                 f'{tuple(current.shape)} here: growing adds classes (dim 0) only; build the model '
                                 f'with the other sizes the checkpoint was trained with')
            self.check_grown_rows(key, saved, current[:old * per_class])
            state_dict[prefix + key] = torch.cat([saved.to(current), current.detach()[old * per_class:]])
        # mmengine's load_from only warns about other shapes: growing refuses them
        others = [f'{prefix + key} {tuple(state_dict[prefix + key].shape)} vs {tuple(tensor.shape)}'
                  for key, tensor in own.items() if key not in tensors and key not in self.rewritten_on_growth
                  and isinstance(state_dict.get(prefix + key), torch.Tensor)
                  and state_dict[prefix + key].shape != tensor.shape]
        if others:
            raise ValueError(f'{owner}: growing from a checkpoint of {old} classes adds classes only, but other '
                             f'shapes differ ({", ".join(others)}): build the model with the sizes the checkpoint '
                             f'was trained with')
        return old

    # entries that a layer rewrites itself when it grows (not compared by shape)
    rewritten_on_growth = ()

    def check_grown_rows(self, key: str, saved: torch.Tensor, configured: torch.Tensor) -> None:
        """Raise when the checkpoint's rows ``saved`` of ``key`` cannot be the old classes' rows of this
        layer, whose own first rows are ``configured``; trainable rows may differ (they were trained)."""

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, *args, **kwargs) -> None:
        version = local_metadata.get('version')
        if version is not None and version < self._version:  # None: a state dict without metadata
            self.migrate(state_dict, prefix, version)
        self.grow_entries(state_dict, prefix)
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

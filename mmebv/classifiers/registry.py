"""Basis providers: where a fixed classifier's class vectors come from.

A provider is a class registered under a name with :func:`register_basis`. A config names it in
the classifier's ``basis`` dict (``basis=dict(type='EBV', seed=0)``); the remaining keys are the
provider's arguments. Every provider turns (num_classes N, dim d) into an (N, d) float32 tensor of
unit rows, deterministically, and says which d it needs. The registry is a plain dict, so the core
stays free of OpenMMLab; a new geometry is a subclass of :class:`BasisProvider`, the decorator, and
a config line (see CONTRIBUTING.md).
"""
from typing import Callable, Dict, Optional, Type

import torch

BASES: Dict[str, Type['BasisProvider']] = {}


class BasisProvider:
    """Builds the (N, d) class vectors of one fixed geometry.

    Subclasses implement :meth:`build` and may override :meth:`default_dim` and
    :meth:`check_dim`. Keyword arguments of ``__init__`` are the config keys of the ``basis`` dict.

    Args:
        num_vectors (int, optional): build this many vectors and let the classifier use the first
            ``num_classes`` (e.g. Mask R-CNN's mask classifier on the first 80 of the box
            classifier's 81 vectors). Defaults to None (as many as classes).
    """

    name: str = ''

    def __init__(self, num_vectors: Optional[int] = None) -> None:
        self.num_vectors = num_vectors

    def default_dim(self, num_classes: int) -> int:
        """d when the config gives no ``embed_dim``."""
        return num_classes

    def check_dim(self, num_classes: int, dim: int) -> None:
        """Raise ``ValueError`` naming the fix when this geometry has no N vectors in d dims."""

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        """(num_classes, dim) float32 unit rows; the same arguments give the same tensor."""
        raise NotImplementedError

    def meta(self) -> dict:
        """Plain-Python description, stored with the classifier (and in its error messages)."""
        return dict(type=self.name)


def register_basis(name: str) -> Callable[[type], type]:
    """Class decorator: register a :class:`BasisProvider` subclass under ``name``."""

    def add(cls: type) -> type:
        if not (isinstance(cls, type) and issubclass(cls, BasisProvider)):
            raise TypeError(f'@register_basis({name!r}) needs a BasisProvider subclass, got {cls!r}')
        if name in BASES and BASES[name] is not cls:
            raise KeyError(f'a basis named {name!r} is already registered ({BASES[name].__module__})')
        cls.name = name
        BASES[name] = cls
        return cls

    return add


def build_basis_provider(cfg: Optional[dict]) -> BasisProvider:
    """The provider a ``basis`` config dict names; ``None`` means ``dict(type='EBV')``."""
    cfg = dict(cfg or dict(type='EBV'))
    name = cfg.pop('type', 'EBV')
    if name not in BASES:
        raise KeyError(f'unknown basis type {name!r}: registered are {sorted(BASES)}; a new geometry '
                       f'registers with @register_basis in a module that the config imports')
    try:
        return BASES[name](**cfg)
    except TypeError as error:
        raise TypeError(f'basis=dict(type={name!r}, ...): {error}') from error


# Classifier layers: one per method (see :mod:`mmebv.classifiers.layer`), by the name configs give in
# ``classifier=dict(type=...)``.
CLASSIFIERS: Dict[str, type] = {}


def register_classifier(name: str) -> Callable[[type], type]:
    """Class decorator: register a :class:`~mmebv.classifiers.layer.ClassifierLayer` under ``name``."""

    def add(cls: type) -> type:
        from .layer import ClassifierLayer
        if not (isinstance(cls, type) and issubclass(cls, ClassifierLayer)):
            raise TypeError(f'@register_classifier({name!r}) needs a ClassifierLayer subclass, got {cls!r}')
        if name in CLASSIFIERS and CLASSIFIERS[name] is not cls:
            raise KeyError(f'a classifier named {name!r} is already registered ({CLASSIFIERS[name].__module__})')
        cls.name = name
        CLASSIFIERS[name] = cls
        return cls

    return add


def build_classifier(cfg: dict, in_features: int, num_classes: int, channel_dim: int = -1):
    """The classifier layer a ``classifier`` config dict names, for features of size ``in_features``
    along ``channel_dim`` and ``num_classes`` outputs (the host fills in the sizes)."""
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'classifier must be a dict with a type (one of {sorted(CLASSIFIERS)}), got {cfg!r}')
    cfg = dict(cfg)
    name = cfg.pop('type')
    if name not in CLASSIFIERS:
        raise KeyError(f'unknown classifier type {name!r}: registered are {sorted(CLASSIFIERS)}; a new method '
                       f'registers with @register_classifier in a module that the config imports')
    for size in ('in_features', 'num_classes', 'channel_dim'):
        if size in cfg:
            raise TypeError(f'classifier=dict(type={name!r}, {size}=...): the host sets {size}; leave it out')
    try:
        return CLASSIFIERS[name](in_features, num_classes, channel_dim=channel_dim, **cfg)
    except TypeError as error:
        raise TypeError(f'classifier=dict(type={name!r}, ...): {error}') from error


def with_default(classifier: Optional[dict], default: Optional[dict], owner: str) -> dict:
    """A host's ``classifier`` argument completed by its default layer: a dict without a ``type``
    adds its keys to ``default`` (an EBV head's ``classifier=dict(embed_dim=512)``)."""
    if classifier is not None and 'type' in classifier:
        return classifier
    if default is None:
        raise TypeError(f'{owner} needs classifier=dict(type=...): one of {sorted(CLASSIFIERS)}')
    return dict(default, **(classifier or {}))

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

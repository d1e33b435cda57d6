"""Basis providers: where a fixed classifier's class vectors come from.

A provider is a class registered under a name with :func:`register_basis`. A config names it in
the classifier's ``basis`` dict (``basis=dict(type='EBV', seed=0)``); the remaining keys are the
provider's arguments. Every provider turns (num_classes N, dim d) into an (N, d) float32 tensor of
unit rows, deterministically, and says which d it needs. The registry is a plain dict, so the core
stays free of OpenMMLab; a new geometry is a subclass of :class:`BasisProvider`, the decorator, and
a config line (see CONTRIBUTING.md).
"""
from typing import Callable, Optional, Sequence

import torch

from mmebv.ebv import extend_basis



class NamedRegistry(dict):
    """Classes by the name configs give in ``type=...``: a plain dict (the core stays free of
    OpenMMLab's registries) with a registering decorator and a lookup whose error lists the names.

    Args:
        what (str): what the classes are, for messages ('basis', 'classifier', ...).
        base (callable): returns the class every entry must subclass (called late: it may be
            defined after the registry).
        decorator (str): the decorator's name, for messages.
    """

    def __init__(self, what: str, base: Callable[[], type], decorator: str) -> None:
        super().__init__()
        self.what, self.base, self.decorator = what, base, decorator

    def register(self, name: str) -> Callable[[type], type]:
        """Class decorator: register a subclass of ``base`` under ``name`` (its ``name`` attribute)."""

        def add(cls: type) -> type:
            if not (isinstance(cls, type) and issubclass(cls, self.base())):
                raise TypeError(f'@{self.decorator}({name!r}) needs a {self.base().__name__} subclass, got {cls!r}')
            if name in self and self[name] is not cls:
                raise KeyError(f'a {self.what} named {name!r} is already registered ({self[name].__module__})')
            cls.name = name
            self[name] = cls
            return cls

        return add

    def lookup(self, name: str, hint: str) -> type:
        """The class registered under ``name``; a ``KeyError`` naming the registered ones and ``hint``."""
        if name not in self:
            raise KeyError(f'unknown {self.what} type {name!r}: registered are {sorted(self)}; {hint}')
        return self[name]


BASES = NamedRegistry('basis', lambda: BasisProvider, 'register_basis')


class BasisProvider:
    """Builds the (N, d) class vectors of one fixed geometry.

    Subclasses implement :meth:`build` and may override :meth:`default_dim`, :meth:`check_dim` and
    :meth:`extend`. Keyword arguments of ``__init__`` are the config keys of the ``basis`` dict.

    New classes for a trained model (its old class vectors unchanged) come two ways:

    - reserve: ``num_vectors=N_max`` builds N_max vectors once and every classifier uses the first
      ``num_classes`` of them, so configs of 4, 6 and 10 classes with the same ``num_vectors`` hold
      the same first 4 vectors (NC-FSCIL's pre-allocated simplex). The vectors are placed for N_max
      classes from the start;
    - extend: ``extend_from=[N0, N1, ...]`` builds the N0 vectors a config of N0 classes builds, then
      extends them (:meth:`extend`) to N1, ..., and to ``num_classes`` (the IJCV version of EBV: new
      vectors "of equal status on the basis of existing EBVs"), so each session's config lists the
      sizes of the sessions before it.

    Args:
        num_vectors (int, optional): build this many vectors and let the classifier use the first
            ``num_classes`` (e.g. Mask R-CNN's mask classifier on the first 80 of the box
            classifier's 81 vectors, or classes reserved for later). Defaults to None (as many as
            classes).
        extend_from (list[int], optional): increasing class counts of earlier sessions, each below
            the classifier's: the basis is built for the first and extended to each next and to
            the classifier's own. Defaults to None (built for the classifier's count at once).
    """

    name: str = ''

    def __init__(self, num_vectors: Optional[int] = None, extend_from: Optional[Sequence[int]] = None) -> None:
        self.num_vectors = num_vectors
        if extend_from is not None:
            sizes = list(extend_from) if isinstance(extend_from, (list, tuple)) else [extend_from]
            if not sizes or any(isinstance(n, bool) or not isinstance(n, int) or n < 1 for n in sizes) or \
                    any(b <= a for a, b in zip(sizes, sizes[1:])):
                raise ValueError(f'basis extend_from={extend_from!r} must list increasing class counts >= 1 (the '
                                 f'sizes of the earlier sessions), e.g. [4] or [4, 6]')
            extend_from = sizes
        self.extend_from = extend_from

    def default_dim(self, num_classes: int) -> int:
        """d when the config gives no ``embed_dim``."""
        return num_classes

    def check_dim(self, num_classes: int, dim: int) -> None:
        """Raise ``ValueError`` naming the fix when this geometry has no N vectors in d dims."""

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        """(num_classes, dim) float32 unit rows; the same arguments give the same tensor."""
        raise NotImplementedError

    def extend(self, old: torch.Tensor, num_classes: int, dim: int) -> torch.Tensor:
        """``old`` (N, d) followed by ``num_classes - N`` new rows, the old ones bit for bit.

        By default :func:`mmebv.ebv.extend_basis` (seeded by the provider's ``seed``, 0 without
        one): an orthonormal completion within d, else new rows refined against old and new. The
        old rows keep their own geometry (a simplex ETF's -1/(N-1) among the old classes); for one
        geometry over all classes, reserve them with ``num_vectors``.

        Returns:
            Tensor: (num_classes, d) float32.
        """
        return extend_basis(old, num_classes, seed=getattr(self, 'seed', 0))

    def vectors(self, num_classes: int, dim: int) -> torch.Tensor:
        """The (num_classes, dim) vectors a classifier holds: :meth:`build`, or with ``extend_from``
        the first size built and extended step by step."""
        if not self.extend_from:
            return self.build(num_classes, dim)
        if self.extend_from[-1] >= num_classes:
            raise ValueError(f'basis extend_from={self.extend_from} must hold class counts below the {num_classes} '
                             f'vectors built: the sizes of the earlier sessions only')
        basis = self.build(self.extend_from[0], dim)
        for size in self.extend_from[1:] + [num_classes]:
            basis = self.extend(basis, size, dim)
        return basis

    def meta(self) -> dict:
        """Plain-Python description, stored with the classifier (and in its error messages)."""
        return dict(type=self.name)

    def origin(self) -> dict:
        """:meth:`meta`, with ``extend_from`` where the basis was extended."""
        meta = self.meta()
        if self.extend_from:
            meta['extend_from'] = list(self.extend_from)
        return meta


def register_basis(name: str) -> Callable[[type], type]:
    """Class decorator: register a :class:`BasisProvider` subclass under ``name``."""
    return BASES.register(name)


def build_basis_provider(cfg: Optional[dict]) -> BasisProvider:
    """The provider a ``basis`` config dict names; ``None`` means ``dict(type='EBV')``."""
    cfg = dict(cfg or dict(type='EBV'))
    name = cfg.pop('type', 'EBV')
    provider = BASES.lookup(name, 'a new geometry registers with @register_basis in a module that the config imports')
    try:
        return provider(**cfg)
    except TypeError as error:
        raise TypeError(f'basis=dict(type={name!r}, ...): {error}') from error


# Classifier layers: one per method (see :mod:`mmebv.classifiers.layer`), by the name configs give in
# ``classifier=dict(type=...)``.
CLASSIFIERS = NamedRegistry('classifier', lambda: _layer_class(), 'register_classifier')


def _layer_class() -> type:
    from .layer import ClassifierLayer  # the layer module imports this one
    return ClassifierLayer


def register_classifier(name: str) -> Callable[[type], type]:
    """Class decorator: register a :class:`~mmebv.classifiers.layer.ClassifierLayer` under ``name``."""
    return CLASSIFIERS.register(name)


def build_classifier(cfg: dict, in_features: int, num_classes: int, channel_dim: int = -1):
    """The classifier layer a ``classifier`` config dict names, for features of size ``in_features``
    along ``channel_dim`` and ``num_classes`` outputs (the host fills in the sizes)."""
    if not isinstance(cfg, dict) or 'type' not in cfg:
        raise TypeError(f'classifier must be a dict with a type (one of {sorted(CLASSIFIERS)}), got {cfg!r}')
    cfg = dict(cfg)
    name = cfg.pop('type')
    layer = CLASSIFIERS.lookup(name, 'a new method registers with @register_classifier in a module that the config '
                                     'imports')
    for size in ('in_features', 'num_classes', 'channel_dim'):
        if size in cfg:
            raise TypeError(f'classifier=dict(type={name!r}, {size}=...): the host sets {size}; leave it out')
    try:
        return layer(in_features, num_classes, channel_dim=channel_dim, **cfg)
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

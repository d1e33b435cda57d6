"""One session of class-incremental learning: the samples of some classes of a dataset, plus a small
exemplar memory of earlier classes, optionally over a class order (a subset of the dataset's classes,
relabelled in the order the sessions meet them)."""
import copy
from typing import Optional, Sequence

import numpy as np
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset

from .class_orders import CLASS_ORDERS


def _class_list(value, name: str) -> list:
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f'ClassIncrementalDataset: {name}={value} must be >= 0 (a class count) or a list '
                             f'of classes')
        return list(range(value))
    if not isinstance(value, (list, tuple, range)) or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in value):
        raise ValueError(f'ClassIncrementalDataset: {name}={value!r} must be a list of class indices (ints >= 0) '
                         f'or a class count')
    return list(value)


def _class_order(value) -> Optional[np.ndarray]:
    """``class_order`` (a list or the name of a published order) as an int64 array of distinct
    labels >= 0, or None."""
    if value is None:
        return None
    if isinstance(value, str):
        if value not in CLASS_ORDERS:
            raise ValueError(f'ClassIncrementalDataset: class_order={value!r} names no published order: give one of '
                             f'{sorted(CLASS_ORDERS)} (mmebv/cls/datasets/class_orders.py) or a list of labels')
        value = CLASS_ORDERS[value]
    if not isinstance(value, (list, tuple, range)) or not value or not all(
            isinstance(c, int) and not isinstance(c, bool) and c >= 0 for c in value):
        raise ValueError(f'ClassIncrementalDataset: class_order={value!r} must be a non-empty list of the inner '
                         f'dataset\'s labels (ints >= 0), the one of class 0 first, or None (the labels as they are)')
    order = np.asarray(value, dtype=np.int64)
    labels, counts = np.unique(order, return_counts=True)
    if (counts > 1).any():
        raise ValueError(f'ClassIncrementalDataset: class_order lists labels {labels[counts > 1].tolist()} more than '
                         f'once: each of the inner dataset\'s labels may stand in it once')
    return order


@DATASETS.register_module()
class ClassIncrementalDataset(Dataset):
    """The samples of ``classes`` of ``dataset``, plus ``exemplars_per_class`` stored samples of each
    class in ``exemplar_classes`` (the exemplar memory of earlier sessions), chosen by ``seed``.

    The training set of session k: ``classes`` = the session's new classes, ``exemplar_classes`` = the
    classes of the sessions before. Its validation set: ``classes`` = every class seen so far (a
    count N means 0..N-1), no exemplars. The exemplars of class c are the first
    ``exemplars_per_class`` of a permutation of c's samples drawn with ``numpy.random.default_rng(
    [seed, c])``: the same samples in every session and on every rank, whatever the other classes.

    ``class_order`` (a list of the inner dataset's labels) makes class i the inner label
    ``class_order[i]``: the session's ``classes`` and ``exemplar_classes`` count in that order, the
    samples come out labelled i (``gt_label``, ``get_gt_labels()``, the ``classes`` of ``metainfo``
    reordered), and a label the order leaves out is never used. This is how a benchmark's class
    order and class subset (ImageNet-100 drawn from ImageNet-1k) are given over the full dataset.

    ``indices`` in the inner ``dataset`` config (as ``MMEBV_SMOKE=1`` or a short run sets it) cut the
    session's own samples after the class selection, not the inner dataset, so a short run still
    holds the session's classes: an int n keeps n of them taken in turn from each class (the first
    of each class, then the second, ...), a list keeps those positions. The exemplars are kept in
    full unless ``max_exemplars`` cuts them the same way (a short run of a session with hundreds of
    old classes).

    Args:
        dataset (dict): config of the dataset to draw from (any dataset whose ``get_gt_labels()``
            gives one class per sample, e.g. ``LocalFashionMNIST``).
        classes (list[int] or int): the classes whose samples this set holds (an int N: 0..N-1).
        exemplar_classes (list[int] or int): classes of which only exemplars are added. Defaults to
            () (none).
        exemplars_per_class (int): stored samples per exemplar class (all of them where a class has
            fewer). Defaults to 0.
        seed (int): seed of the exemplar choice. Defaults to 0.
        class_order (list[int] or str, optional): the inner dataset's labels of classes 0, 1, 2,
            ... in the order of the sessions (labels left out are not used), or the name of a
            published order (``'podnet-imagenet100'``, ``'podnet-imagenet1000'``: see
            :mod:`mmebv.cls.datasets.class_orders`). Defaults to None (class i is the inner label i).
        max_exemplars (int, optional): keep at most this many exemplars in all, taken in turn from
            each exemplar class (a short run's cut, as ``indices`` cuts the session's own samples).
            Defaults to None (every exemplar class keeps its ``exemplars_per_class``).

    Example:
        >>> train = dict(type='ClassIncrementalDataset', classes=[4, 5], exemplar_classes=4,
        ...              exemplars_per_class=20, dataset=dict(type='LocalFashionMNIST', split='train'))
        >>> # ImageNet-100's classes 50-59 in a benchmark's order (class i is ImageNet label order[i])
        >>> train = dict(type='ClassIncrementalDataset', classes=list(range(50, 60)), exemplar_classes=50,
        ...              exemplars_per_class=20, class_order='podnet-imagenet100',
        ...              dataset=dict(type='ImageNet', data_root='data/imagenet', split='train'))
    """

    def __init__(self, dataset: dict, classes, exemplar_classes: Sequence[int] = (), exemplars_per_class: int = 0,
                 seed: int = 0, class_order: Optional[Sequence[int]] = None,
                 max_exemplars: Optional[int] = None) -> None:
        if not isinstance(dataset, dict):
            raise ValueError(f'ClassIncrementalDataset: dataset must be a dataset config (a dict), got '
                             f'{type(dataset).__name__}')
        self.classes = _class_list(classes, 'classes')
        self.exemplar_classes = _class_list(exemplar_classes, 'exemplar_classes')
        if not self.classes:
            raise ValueError('ClassIncrementalDataset: classes is empty: give the classes of this session')
        both = sorted(set(self.classes) & set(self.exemplar_classes))
        if both:
            raise ValueError(f'ClassIncrementalDataset: classes {both} are both session classes and exemplar classes: '
                             f'exemplar_classes are the earlier sessions\' classes only')
        if not isinstance(exemplars_per_class, int) or isinstance(exemplars_per_class, bool) or exemplars_per_class < 0:
            raise ValueError(f'ClassIncrementalDataset: exemplars_per_class={exemplars_per_class!r} must be an '
                             f'int >= 0')
        if self.exemplar_classes and exemplars_per_class == 0:
            raise ValueError(f'ClassIncrementalDataset: exemplar_classes={self.exemplar_classes} with '
                             f'exemplars_per_class=0 stores nothing: set exemplars_per_class >= 1, or '
                             f'exemplar_classes=[]')
        if max_exemplars is not None and (not isinstance(max_exemplars, int) or isinstance(max_exemplars, bool)
                                          or max_exemplars < 0):
            raise ValueError(f'ClassIncrementalDataset: max_exemplars={max_exemplars!r} must be an int >= 0 (the '
                             f'exemplars kept in all) or None (all of them)')
        self.class_order = _class_order(class_order)
        if self.class_order is not None:
            beyond = sorted(c for c in set(self.classes) | set(self.exemplar_classes) if c >= len(self.class_order))
            if beyond:
                raise ValueError(f'ClassIncrementalDataset: classes {beyond} are beyond the {len(self.class_order)} '
                                 f'classes of class_order: with a class order, classes count 0..'
                                 f'{len(self.class_order) - 1} in it')
        self.exemplars_per_class, self.seed = exemplars_per_class, seed
        inner = copy.deepcopy(dataset)
        cut = inner.pop('indices', None)
        self.dataset = DATASETS.build(inner)
        if self.class_order is not None and not (hasattr(self.dataset, 'get_data_info')
                                                 and callable(getattr(self.dataset, 'pipeline', None))):
            raise ValueError(f'ClassIncrementalDataset: class_order relabels the samples before the pipeline, which '
                             f'needs an mmengine BaseDataset (get_data_info and pipeline); '
                             f'{type(self.dataset).__name__} is not one: drop class_order or wrap such a dataset')
        self.labels = self._session_labels(np.asarray(self.dataset.get_gt_labels()).reshape(-1))
        labels = self.labels
        own = np.flatnonzero(np.isin(labels, self.classes))
        missing = sorted(set(self.classes) - set(labels[own].tolist()))
        if missing:
            raise ValueError(f'ClassIncrementalDataset: classes {missing}{self._as_labels(missing)} have no sample '
                             f'in {type(self.dataset).__name__}: it holds classes '
                             f'{sorted(set(labels[labels >= 0].tolist()))}'
                             f'{" (numbered in class_order)" if self.class_order is not None else ""}; give classes it '
                             f'holds')
        if isinstance(cut, int):  # the first ones taken in turn from each class: every class while cut allows
            own = self._in_turn(own, cut)
        elif cut is not None:
            own = own[list(cut)]
        memory = []
        for c in self.exemplar_classes:
            of_class = np.flatnonzero(labels == c)
            if of_class.size == 0:
                raise ValueError(f'ClassIncrementalDataset: exemplar class {c}{self._as_labels([c])} has no sample in '
                                 f'{type(self.dataset).__name__}')
            chosen = np.random.default_rng([seed, c]).permutation(of_class)[:exemplars_per_class]
            memory.append(np.sort(chosen))
        self.exemplar_indices = np.concatenate(memory) if memory else np.zeros(0, dtype=np.int64)
        if max_exemplars is not None:
            self.exemplar_indices = np.sort(self._in_turn(self.exemplar_indices, max_exemplars))
        self.max_exemplars = max_exemplars
        self.indices = np.concatenate([own, self.exemplar_indices]).astype(np.int64)

    def _session_labels(self, labels: np.ndarray) -> np.ndarray:
        """(len(inner),) each sample's class in this set: its inner label, or with ``class_order`` its
        position there (-1 for a label the order leaves out)."""
        if self.class_order is None:
            return labels
        position = np.full(max(int(labels.max(initial=0)), int(self.class_order.max())) + 1, -1, dtype=np.int64)
        position[self.class_order] = np.arange(len(self.class_order))
        return position[labels]

    def _as_labels(self, classes: list) -> str:
        """' (inner labels [...] through class_order)' for an error message, '' without an order."""
        if self.class_order is None:
            return ''
        return f' (inner labels {self.class_order[classes].tolist()} through class_order)'

    def _in_turn(self, indices: np.ndarray, count: int) -> np.ndarray:
        """The first ``count`` of ``indices`` (inner positions) taken in turn from each class: the
        first sample of each class, then the second, ..."""
        classes = self.labels[indices]
        rank = np.zeros(len(indices), dtype=np.int64)
        for c in np.unique(classes):
            rank[classes == c] = np.arange(np.count_nonzero(classes == c))
        return indices[np.lexsort((indices, rank))][:count]

    @property
    def metainfo(self) -> dict:
        """The inner dataset's meta information (class names: all of its classes; with ``class_order``
        the names of the classes it lists, in its order)."""
        meta = copy.deepcopy(getattr(self.dataset, 'metainfo', {}))
        if self.class_order is not None and meta.get('classes') is not None:
            names = list(meta['classes'])
            meta['classes'] = tuple(names[c] for c in self.class_order if c < len(names))
        return meta

    def get_gt_labels(self) -> np.ndarray:
        """(len(self),) the class of every sample, exemplars last."""
        return self.labels[self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> Optional[dict]:
        index = int(self.indices[idx])
        if self.class_order is None:
            return self.dataset[index]
        info = self.dataset.get_data_info(index)  # a copy: relabelled before the pipeline packs it
        info['gt_label'] = int(self.labels[index])
        return self.dataset.pipeline(info)

    def __repr__(self) -> str:
        return (f'ClassIncrementalDataset(classes={self.classes}, exemplar_classes={self.exemplar_classes}, '
                f'exemplars_per_class={self.exemplars_per_class}, seed={self.seed}, samples={len(self)}, '
                f'class_order={"None" if self.class_order is None else f"<{len(self.class_order)} labels>"}, '
                f'dataset={type(self.dataset).__name__})')

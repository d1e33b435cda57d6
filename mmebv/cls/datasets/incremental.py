"""One session of class-incremental learning: the samples of some classes of a dataset, plus a small
exemplar memory of earlier classes."""
import copy
from typing import Optional, Sequence

import numpy as np
from mmpretrain.registry import DATASETS
from torch.utils.data import Dataset


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


@DATASETS.register_module()
class ClassIncrementalDataset(Dataset):
    """The samples of ``classes`` of ``dataset``, plus ``exemplars_per_class`` stored samples of each
    class in ``exemplar_classes`` (the exemplar memory of earlier sessions), chosen by ``seed``.

    The training set of session k: ``classes`` = the session's new classes, ``exemplar_classes`` = the
    classes of the sessions before. Its validation set: ``classes`` = every class seen so far (a
    count N means 0..N-1), no exemplars. The exemplars of class c are the first
    ``exemplars_per_class`` of a permutation of c's samples drawn with ``numpy.random.default_rng(
    [seed, c])``: the same samples in every session and on every rank, whatever the other classes.

    ``indices`` in the inner ``dataset`` config (as ``MMEBV_SMOKE=1`` or a short run sets it) cut the
    session's own samples after the class selection, not the inner dataset, so a short run still
    holds the session's classes: an int n keeps n of them taken in turn from each class (the first
    of each class, then the second, ...), a list keeps those positions. The exemplars are kept in full.

    Args:
        dataset (dict): config of the dataset to draw from (any dataset whose ``get_gt_labels()``
            gives one class per sample, e.g. ``LocalFashionMNIST``).
        classes (list[int] or int): the classes whose samples this set holds (an int N: 0..N-1).
        exemplar_classes (list[int] or int): classes of which only exemplars are added. Defaults to
            () (none).
        exemplars_per_class (int): stored samples per exemplar class (all of them where a class has
            fewer). Defaults to 0.
        seed (int): seed of the exemplar choice. Defaults to 0.

    Example:
        >>> train = dict(type='ClassIncrementalDataset', classes=[4, 5], exemplar_classes=4,
        ...              exemplars_per_class=20, dataset=dict(type='LocalFashionMNIST', split='train'))
    """

    def __init__(self, dataset: dict, classes, exemplar_classes: Sequence[int] = (), exemplars_per_class: int = 0,
                 seed: int = 0) -> None:
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
        self.exemplars_per_class, self.seed = exemplars_per_class, seed
        inner = copy.deepcopy(dataset)
        cut = inner.pop('indices', None)
        self.dataset = DATASETS.build(inner)
        labels = np.asarray(self.dataset.get_gt_labels()).reshape(-1)
        own = np.flatnonzero(np.isin(labels, self.classes))
        missing = sorted(set(self.classes) - set(labels[own].tolist()))
        if missing:
            raise ValueError(f'ClassIncrementalDataset: classes {missing} have no sample in '
                             f'{type(self.dataset).__name__}: it holds classes {sorted(set(labels.tolist()))}; '
                             f'give classes it holds')
        if isinstance(cut, int):  # the first ones taken in turn from each class: every class while cut allows
            rank = np.zeros(len(own), dtype=np.int64)
            for c in self.classes:
                rank[labels[own] == c] = np.arange(np.count_nonzero(labels[own] == c))
            own = own[np.lexsort((own, rank))][:cut]
        elif cut is not None:
            own = own[list(cut)]
        memory = []
        for c in self.exemplar_classes:
            of_class = np.flatnonzero(labels == c)
            if of_class.size == 0:
                raise ValueError(f'ClassIncrementalDataset: exemplar class {c} has no sample in '
                                 f'{type(self.dataset).__name__}')
            chosen = np.random.default_rng([seed, c]).permutation(of_class)[:exemplars_per_class]
            memory.append(np.sort(chosen))
        self.exemplar_indices = np.concatenate(memory) if memory else np.zeros(0, dtype=np.int64)
        self.indices = np.concatenate([own, self.exemplar_indices]).astype(np.int64)

    @property
    def metainfo(self) -> dict:
        """The inner dataset's meta information (class names: all of its classes)."""
        return copy.deepcopy(getattr(self.dataset, 'metainfo', {}))

    def get_gt_labels(self) -> np.ndarray:
        """(len(self),) the class of every sample, exemplars last."""
        return np.asarray(self.dataset.get_gt_labels()).reshape(-1)[self.indices]

    def __len__(self) -> int:
        return len(self.indices)

    def __getitem__(self, idx: int) -> Optional[dict]:
        return self.dataset[int(self.indices[idx])]

    def __repr__(self) -> str:
        return (f'ClassIncrementalDataset(classes={self.classes}, exemplar_classes={self.exemplar_classes}, '
                f'exemplars_per_class={self.exemplars_per_class}, seed={self.seed}, samples={len(self)}, '
                f'dataset={type(self.dataset).__name__})')

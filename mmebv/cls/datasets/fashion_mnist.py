import numpy as np
from mmpretrain.datasets import FashionMNIST
from mmpretrain.registry import DATASETS

from mmebv.data.fashion_mnist import INSTALL_HINT, read_split


@DATASETS.register_module()
class LocalFashionMNIST(FashionMNIST):
    """mmpretrain's ``FashionMNIST`` read from local IDX files only: never downloads.

    The split is chosen by ``split`` alone (mmpretrain's class keys on ``test_mode``, so
    ``split='test'`` without ``test_mode=True`` silently gives the training set). The IDX files are
    checked before use: magic numbers, file sizes against their headers, as many labels as images,
    labels within the classes; a file that fails is named with what is wrong with it.

    Args:
        data_root (str): folder with the uncompressed IDX files. Defaults to 'data/fashion_mnist'.
        split (str): 'train' (60,000 images) or 'test' (10,000). Defaults to 'train'.
        imbalance_factor (float): > 1 makes a long-tailed set: class c keeps the first
            n_max * imbalance_factor ** (-c / 9) of its images (class 0 all 6,000, class 9 n_max /
            imbalance_factor), the usual exponential profile. Defaults to 1 (balanced).
        **kwargs: passed to ``FashionMNIST`` (pipeline, indices, ...). ``indices`` that select no
            image (0, an empty list) are refused: mmengine would fail on the empty set with a
            ``ValueError`` from numpy that does not say why.
    """

    def __init__(self, data_root: str = 'data/fashion_mnist', split: str = 'train',
                 imbalance_factor: float = 1.0, **kwargs) -> None:
        if imbalance_factor < 1:
            raise ValueError(f'imbalance_factor must be >= 1 (1 = balanced), got {imbalance_factor}')
        self.imbalance_factor = imbalance_factor
        indices = kwargs.get('indices')
        if indices is not None and (len(indices) == 0 if isinstance(indices, (list, tuple)) else indices == 0):
            raise ValueError(f'LocalFashionMNIST(split={split!r}) got indices={indices!r}, which selects no image: '
                             'give the number of images to use (>= 1), a non-empty list of their indices, or leave '
                             'indices out for all of them')
        if kwargs.pop('download', False):
            raise ValueError('LocalFashionMNIST never downloads: ' + INSTALL_HINT)
        kwargs['test_mode'] = split == 'test'
        super().__init__(data_root=data_root, split=split, download=False, **kwargs)

    def load_data_list(self) -> list:
        images, labels = read_split(self.data_prefix['root'], 't10k' if self.test_mode else 'train')
        data_list = [{'img': image, 'gt_label': np.array(label, dtype=np.int64)}
                     for image, label in zip(images, labels)]
        return data_list if self.imbalance_factor == 1 else self._long_tail(data_list)

    def _long_tail(self, data_list: list) -> list:
        labels = [int(info['gt_label']) for info in data_list]
        num_classes = max(labels) + 1
        largest = max(labels.count(c) for c in range(num_classes))
        keep = [int(largest * self.imbalance_factor ** (-c / (num_classes - 1))) for c in range(num_classes)]
        seen = [0] * num_classes
        kept = []
        for info, label in zip(data_list, labels):
            if seen[label] < keep[label]:
                seen[label] += 1
                kept.append(info)
        return kept

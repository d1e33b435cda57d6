import os.path as osp

from mmpretrain.datasets import FashionMNIST
from mmpretrain.registry import DATASETS

INSTALL_HINT = ('run `bash tools/install.sh` (it installs Debian\'s dataset-fashion-mnist and unpacks '
                'it into data/fashion_mnist), or put the four uncompressed IDX files '
                '(train-images-idx3-ubyte, ..., t10k-labels-idx1-ubyte) there yourself')


@DATASETS.register_module()
class LocalFashionMNIST(FashionMNIST):
    """mmpretrain's ``FashionMNIST`` read from local IDX files only: never downloads.

    The split is chosen by ``split`` alone (mmpretrain's class keys on ``test_mode``, so
    ``split='test'`` without ``test_mode=True`` silently gives the training set).

    Args:
        data_root (str): folder with the uncompressed IDX files. Defaults to 'data/fashion_mnist'.
        split (str): 'train' (60,000 images) or 'test' (10,000). Defaults to 'train'.
        imbalance_factor (float): > 1 makes a long-tailed set: class c keeps the first
            n_max * imbalance_factor ** (-c / 9) of its images (class 0 all 6,000, class 9 n_max /
            imbalance_factor), the usual exponential profile. Defaults to 1 (balanced).
        **kwargs: passed to ``FashionMNIST`` (pipeline, indices, ...).
    """

    def __init__(self, data_root: str = 'data/fashion_mnist', split: str = 'train',
                 imbalance_factor: float = 1.0, **kwargs) -> None:
        if imbalance_factor < 1:
            raise ValueError(f'imbalance_factor must be >= 1 (1 = balanced), got {imbalance_factor}')
        self.imbalance_factor = imbalance_factor
        if kwargs.pop('download', False):
            raise ValueError('LocalFashionMNIST never downloads: ' + INSTALL_HINT)
        kwargs['test_mode'] = split == 'test'
        super().__init__(data_root=data_root, split=split, download=False, **kwargs)

    def load_data_list(self) -> list:
        if not self._check_exists():
            root = self.data_prefix['root']
            missing = [name[:-3] for name, _ in self.train_list + self.test_list
                       if not osp.isfile(osp.join(root, name[:-3]))]
            raise FileNotFoundError(f'Fashion-MNIST is missing from {osp.abspath(root)!r} '
                                    f'(no {", ".join(missing)}): {INSTALL_HINT}')
        data_list = super().load_data_list()
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

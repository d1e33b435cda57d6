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
        **kwargs: passed to ``FashionMNIST`` (pipeline, indices, ...).
    """

    def __init__(self, data_root: str = 'data/fashion_mnist', split: str = 'train', **kwargs) -> None:
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
        return super().load_data_list()

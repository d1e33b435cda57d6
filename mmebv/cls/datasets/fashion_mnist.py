import os.path as osp
import struct
from typing import Tuple

import numpy as np
from mmpretrain.datasets import FashionMNIST
from mmpretrain.registry import DATASETS

IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801  # IDX: unsigned bytes, 3 dims / 1 dim
INSTALL_HINT = ('run `bash tools/install.sh` (it installs Debian\'s dataset-fashion-mnist and unpacks '
                'it into data/fashion_mnist), or put the four uncompressed IDX files '
                '(train-images-idx3-ubyte, ..., t10k-labels-idx1-ubyte) there yourself')


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
        root = self.data_prefix['root']
        images_file, labels_file = [osp.join(root, name[:-3])
                                    for name, _ in (self.test_list if self.test_mode else self.train_list)]
        images = read_idx_images(images_file)
        labels = read_idx_labels(labels_file, len(self.METAINFO['classes']))
        if len(images) != len(labels):
            raise ValueError(f'{images_file} holds {len(images)} images but {labels_file} holds {len(labels)} '
                             'labels: the two files do not belong together (mixed splits or a partial copy); '
                             + INSTALL_HINT)
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


def _read_idx(path: str, magic: int) -> Tuple[bytes, Tuple[int, ...]]:
    """The bytes of an IDX file and the dimensions in its header, after checking magic and size."""
    with open(path, 'rb') as f:
        data = f.read()
    ndim = magic & 0xFF
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f'{path} is not an IDX file: {len(data)} bytes, shorter than its header; ' + INSTALL_HINT)
    found = struct.unpack('>I', data[:4])[0]
    if found != magic:
        kind = 'images' if magic == IMAGES_MAGIC else 'labels'
        gz = ' (it is gzip-compressed: unpack it)' if data[:2] == b'\x1f\x8b' else ''
        raise ValueError(f'{path} is not an IDX {kind} file: magic number 0x{found:08x}, expected 0x{magic:08x}'
                         f'{gz}; ' + INSTALL_HINT)
    dims = struct.unpack(f'>{ndim}I', data[4:header])
    expected = header + int(np.prod(dims))
    if len(data) != expected:
        raise ValueError(f'{path} has {len(data)} bytes but its header ({" x ".join(map(str, dims))}) needs '
                         f'{expected}: the file is truncated or damaged; ' + INSTALL_HINT)
    return data[header:], dims


def read_idx_images(path: str) -> np.ndarray:
    """(n, rows, cols) uint8 images of an IDX image file, checked (see :func:`_read_idx`)."""
    data, dims = _read_idx(path, IMAGES_MAGIC)
    return np.frombuffer(data, dtype=np.uint8).reshape(dims).copy()


def read_idx_labels(path: str, num_classes: int) -> np.ndarray:
    """(n, ) int64 labels of an IDX label file, each checked to lie in [0, num_classes - 1]."""
    data, _ = _read_idx(path, LABELS_MAGIC)
    labels = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    bad = np.flatnonzero(labels >= num_classes)
    if len(bad):
        raise ValueError(f'{path} holds label {labels[bad[0]]} at position {bad[0]} ({len(bad)} labels outside '
                         f'0..{num_classes - 1}): the file is damaged; ' + INSTALL_HINT)
    return labels

"""Fashion-MNIST's uncompressed IDX files, read with checks: magic numbers, sizes against the headers,
labels within the classes, as many labels as images. Pure numpy."""
import os.path as osp
import struct
from typing import Tuple

import numpy as np

IMAGES_MAGIC, LABELS_MAGIC = 0x00000803, 0x00000801  # IDX: unsigned bytes, 3 dims / 1 dim
NUM_CLASSES = 10
INSTALL_HINT = ('run `bash tools/install.sh` (it installs Debian\'s dataset-fashion-mnist and unpacks '
                'it into data/fashion_mnist), or put the four uncompressed IDX files '
                '(train-images-idx3-ubyte, ..., t10k-labels-idx1-ubyte) there yourself')


def read_split(root: str, split: str) -> Tuple[np.ndarray, np.ndarray]:
    """(M, 28, 28) uint8 images and (M, ) int64 labels of split 'train' or 't10k' in ``root``.

    Raises:
        FileNotFoundError: a file is missing (named, with how to install them).
        ValueError: a file fails a check (named, with what is wrong), or holds no images.
    """
    paths = [osp.join(root, f'{split}-{kind}-idx{n}-ubyte') for kind, n in (('images', 3), ('labels', 1))]
    missing = [osp.basename(p) for p in paths if not osp.isfile(p)]
    if missing:
        raise FileNotFoundError(f'Fashion-MNIST is missing from {osp.abspath(root)!r} (no {", ".join(missing)}): '
                                f'{INSTALL_HINT}')
    images, labels = read_idx_images(paths[0]), read_idx_labels(paths[1], NUM_CLASSES)
    if len(images) == 0:
        raise ValueError(f'{paths[0]} holds no images (its header says 0): a training or test set needs at least '
                         'one; ' + INSTALL_HINT)
    if len(images) != len(labels):
        raise ValueError(f'{paths[0]} holds {len(images)} images but {paths[1]} holds {len(labels)} labels: the '
                         'two files do not belong together (mixed splits or a partial copy); ' + INSTALL_HINT)
    return images, labels


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

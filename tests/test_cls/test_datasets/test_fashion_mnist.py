import gzip
import os.path as osp
import re
import struct

import numpy as np
import pytest
from helpers import ROOT

from mmebv.cls import LocalFashionMNIST

DATA = osp.join(ROOT, 'data', 'fashion_mnist')


def test_missing_data_names_the_fix(tmp_path):
    with pytest.raises(FileNotFoundError, match='tools/install.sh') as error:
        LocalFashionMNIST(data_root=str(tmp_path), split='test')
    assert 't10k-images-idx3-ubyte' in str(error.value)


def test_download_is_refused():
    with pytest.raises(ValueError, match='never downloads'):
        LocalFashionMNIST(data_root=DATA, download=True)


def test_split_alone_picks_the_test_set():
    test = LocalFashionMNIST(data_root=DATA, split='test')
    assert len(test) == 10000
    labels = np.array([test.get_data_info(i)['gt_label'] for i in range(len(test))])
    assert np.bincount(labels).tolist() == [1000] * 10
    assert test.get_data_info(0)['img'].shape == (28, 28)


def write_idx(folder, split='t10k', images=4, labels=4, label_value=3, images_magic=0x803, cut=0):
    """Fashion-MNIST-named IDX files with ``images`` 28x28 images and ``labels`` labels."""
    image_bytes = struct.pack('>IIII', images_magic, images, 28, 28) + bytes(images * 28 * 28)
    (folder / f'{split}-images-idx3-ubyte').write_bytes(image_bytes[:len(image_bytes) - cut])
    label_bytes = struct.pack('>II', 0x801, labels) + bytes([label_value]) * labels
    (folder / f'{split}-labels-idx1-ubyte').write_bytes(label_bytes)


@pytest.fixture
def idx_root(tmp_path):
    for split in ('train', 't10k'):
        write_idx(tmp_path, split)
    return tmp_path


def test_small_valid_files_load(idx_root):
    data = LocalFashionMNIST(data_root=str(idx_root), split='test')
    assert len(data) == 4 and data.get_data_info(0)['gt_label'] == 3


@pytest.mark.parametrize('damage, message', [
    (dict(images=10, labels=60), r't10k-images-idx3-ubyte holds 10 images but .*t10k-labels-idx1-ubyte holds 60 '
                                 r'labels: the two files do not belong together'),
    (dict(images_magic=0x801), r't10k-images-idx3-ubyte is not an IDX images file: magic number 0x00000801'),
    (dict(cut=100), r't10k-images-idx3-ubyte has 3052 bytes but its header \(4 x 28 x 28\) needs 3152'),
    (dict(label_value=200), r't10k-labels-idx1-ubyte holds label 200 at position 0 \(4 labels outside 0\.\.9\)'),
], ids=['counts', 'magic', 'truncated', 'label'])
def test_damaged_files_are_refused_by_name(idx_root, damage, message):
    write_idx(idx_root, 't10k', **damage)
    with pytest.raises(ValueError, match=message):
        LocalFashionMNIST(data_root=str(idx_root), split='test')


def test_a_gzipped_file_under_the_plain_name_says_unpack_it(idx_root):
    path = idx_root / 't10k-labels-idx1-ubyte'
    path.write_bytes(gzip.compress(path.read_bytes()))
    with pytest.raises(ValueError, match=r'labels-idx1-ubyte is not an IDX labels file.*gzip-compressed: unpack it'):
        LocalFashionMNIST(data_root=str(idx_root), split='test')


def test_files_without_images_are_refused_by_name(idx_root):
    write_idx(idx_root, 't10k', images=0, labels=0)
    with pytest.raises(ValueError, match=r't10k-images-idx3-ubyte holds no images.*tools/install\.sh'):
        LocalFashionMNIST(data_root=str(idx_root), split='test')


@pytest.mark.parametrize('indices', [0, []])
def test_indices_that_select_nothing_are_refused(idx_root, indices):
    with pytest.raises(ValueError, match=rf"split='train'\) got indices={re.escape(str(indices))}, which selects no "
                                         r'image: give the number of images to use \(>= 1\)'):
        LocalFashionMNIST(data_root=str(idx_root), split='train', indices=indices)
    assert len(LocalFashionMNIST(data_root=str(idx_root), split='train', indices=1)) == 1

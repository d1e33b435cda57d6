import os.path as osp

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

"""tools/dist_train.sh with 2 CPU processes on a segmentation config as shipped, on a tiny
semi-synthetic ADE20K set made by tools/misc/make_semisynthetic_data.py. (Every config's single-process
run is in test_shipped_configs.py.)"""
import os
import os.path as osp
import re

import pytest
import torch
from helpers import ROOT, run, user_env
from test_shipped_configs import URLS, pretrained_state


# data size and iteration counts only: the pipelines and the model as shipped (512 x 512 crops)
SEG_SHORT = ['train_dataloader.batch_size=2', 'train_dataloader.dataset.indices=4', 'val_dataloader.dataset.indices=1',
             'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
             'train_cfg.max_iters=1', 'train_cfg.val_interval=1']

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """A folder with data/ade/ADEChallengeData2016, where the configs look, and torch/, a hub cache
    with a random stand-in for the R18 the config loads (nothing can be downloaded here)."""
    cwd = tmp_path_factory.mktemp('downstream')
    hub = cwd / 'torch' / 'hub' / 'checkpoints'
    hub.mkdir(parents=True)
    torch.save(pretrained_state('mmseg_resnet18_v1c'), hub / osp.basename(URLS['open-mmlab://resnet18_v1c']))
    log = run([osp.join(ROOT, 'tools/misc/make_semisynthetic_data.py'), 'ade20k', '--fashion-root',
               osp.join(ROOT, 'data/fashion_mnist'), '--train', '4', '--val', '1', '--size', '160'], cwd=cwd)
    assert 'wrote a semi-synthetic' in log
    return cwd


@pytest.mark.parametrize('option', ['--train', '--val', '--size', '--max-objects'])
def test_the_data_tool_refuses_empty_sizes(option, tmp_path):
    out = run([osp.join(ROOT, 'tools/misc/make_semisynthetic_data.py'), 'ade20k', '--out', str(tmp_path / 'ade'),
               option, '0'], check=False)
    assert f"argument {option}: '0' is not a positive integer: give 1 or more" in out
    assert not (tmp_path / 'ade').exists()


def test_two_cpu_processes_with_dist_train_sh(data_dir):
    """tools/dist_train.sh with 2 processes (gloo, SyncBN replaced by BN) on UperNet R18."""
    config = 'configs/upernet/upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'
    env = user_env(PORT=str(29500 + (os.getpid() + 7) % 1000), OMP_NUM_THREADS='1', TORCH_HOME=str(data_dir / 'torch'),
                   CUDA_VISIBLE_DEVICES='')  # CPU processes on a GPU machine too
    log = run(['bash', osp.join(ROOT, 'tools/dist_train.sh'), osp.join(ROOT, config), '2', '--work-dir',
               osp.join(data_dir, 'work_dirs', 'dist'), '--cfg-options', *SEG_SHORT,
               ], cwd=data_dir, env=env)
    assert 'SyncBN does not run on CPU processes' in log and 'Downloading' not in log
    assert re.search(r'Iter\(val\) \[1/1\].* mIoU: \d+\.\d+', log)  # after the one training iteration
    assert osp.isfile(osp.join(data_dir, 'work_dirs', 'dist', 'iter_1.pth'))

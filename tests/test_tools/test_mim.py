"""`mim train/test mmebv` with mmebv installed as a regular package, as `MMEBV_INSTALL=regular bash
tools/install.sh` installs it (here into a --target folder, from a copy of the checkout)."""
import os.path as osp
import re
import shutil
import sys

import pytest
from helpers import ROOT, run, user_env

CONFIG = 'smallconvnet_ebv_1xb128-5e_fashion-mnist.py'  # by name: mim finds it under mmebv/.mim/configs
TINY = ['train_dataloader.dataset.indices=256', 'val_dataloader.dataset.indices=200',
        'test_dataloader.dataset.indices=200', 'train_cfg.max_epochs=1']

pytestmark = pytest.mark.e2e


def test_mim_train_and_test_find_mmebvs_tools_and_configs(tmp_path):
    mim = osp.join(osp.dirname(sys.executable), 'mim')
    assert osp.isfile(mim), 'openmim is missing: `bash tools/install.sh` installs it'
    src, site = tmp_path / 'src', tmp_path / 'site'
    skip = shutil.ignore_patterns('work_dirs', '.git', '.mim', '.venv', '__pycache__', '*.egg-info', 'build')
    # the checkout's data/ folder, not the mmebv.data package (install.sh: tar --exclude=./data)
    shutil.copytree(ROOT, src, ignore=lambda folder, names: skip(folder, names) | (
        {'data'} if osp.samefile(folder, ROOT) else set()))
    run([sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--no-build-isolation', '--target', str(site),
         str(src)], timeout=600)
    assert osp.isfile(site / 'mmebv' / '.mim' / 'tools' / 'train.py')
    env = user_env(PYTHONPATH=str(site))  # the regular install first on the path, as site-packages would be
    work_dir = tmp_path / 'run'
    log = run([mim, 'train', 'mmebv', CONFIG, '--work-dir', str(work_dir), '--cfg-options', *TINY], env=env)
    assert re.search(r'Training command is .*site/mmebv/\.mim/tools/train\.py', log), log[-3000:]
    assert 'Epoch(train) [1][2/2]' in log and osp.isfile(work_dir / 'epoch_1.pth')
    log = run([mim, 'test', 'mmebv', CONFIG, '--checkpoint', str(work_dir / 'epoch_1.pth'), '--work-dir',
               str(tmp_path / 'test'), '--cfg-options', *TINY[:3]], env=env)
    assert re.search(r'Testing command is .*site/mmebv/\.mim/tools/test\.py', log), log[-3000:]
    assert 'accuracy/top1' in log

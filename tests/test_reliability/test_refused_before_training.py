"""tools/train.py refuses a run that cannot work before it builds anything, naming the fix: a work dir
where nothing can be written, mixed precision without a GPU."""
import os
import subprocess
import sys

import pytest
import torch
from helpers import ROOT, user_env
from mmengine.config import Config

from mmebv.engine.launch import LaunchError, check_amp, check_work_dir

CONFIG = 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'
TRAIN = [sys.executable, 'tools/train.py', CONFIG, '--cfg-options', 'train_dataloader.dataset.indices=256',
         'val_dataloader.dataset.indices=200', 'train_cfg.max_epochs=1']
NO_ACCELERATOR = pytest.mark.skipif(torch.cuda.is_available(), reason='AMP runs on this machine')


def train(*args, before=()):
    result = subprocess.run([*before, *TRAIN, *args], cwd=ROOT, env=user_env(), capture_output=True, text=True,
                            timeout=600)
    return result.returncode, result.stdout + result.stderr


def test_a_work_dir_that_is_a_file_is_refused(tmp_path):
    (tmp_path / 'run').write_text('')
    with pytest.raises(LaunchError, match=r'the work dir .*run/sub is not writable \(.*\).*--work-dir DIR'):
        check_work_dir(Config(dict(work_dir=str(tmp_path / 'run' / 'sub'))))


@pytest.mark.e2e
def test_a_read_only_work_dir_stops_before_training_and_names_the_fix(tmp_path):
    work_dir = tmp_path / 'run'
    work_dir.mkdir()
    before = ()
    if os.geteuid() == 0:  # permission bits do not stop root: a read-only mount, in a namespace of its own
        if subprocess.run(['unshare', '-m', 'true'], capture_output=True).returncode != 0:
            pytest.skip('as root, needs a mount namespace (unshare -m) to make a read-only directory')
        before = ('unshare', '-m', 'sh', '-c', 'mount -t tmpfs -o ro tmpfs "$0" && exec "$@"', str(work_dir))
    else:
        work_dir.chmod(0o555)
    code, log = train('--work-dir', str(work_dir), before=before)
    assert code == 1 and 'Traceback' not in log, log[-3000:]
    assert f'error: the work dir {work_dir} is not writable' in log and 'with --work-dir DIR' in log
    assert 'Epoch(train)' not in log and 'Checkpoints will be saved' not in log


@NO_ACCELERATOR
def test_amp_from_the_config_without_an_accelerator_names_the_setting():
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', loss_scale='dynamic')))
    with pytest.raises(LaunchError, match=r"needs a CUDA GPU.*set the config's optim_wrapper.type to 'OptimWrapper'"):
        check_amp(cfg, from_flag=False)
    check_amp(Config(dict(optim_wrapper=dict(type='OptimWrapper'))), from_flag=False)


@NO_ACCELERATOR
@pytest.mark.e2e
def test_amp_flag_without_an_accelerator_is_refused_before_the_runner(tmp_path):
    code, log = train('--amp', '--work-dir', str(tmp_path / 'run'))
    assert code == 1 and 'Traceback' not in log, log[-3000:]
    assert 'error: automatic mixed precision (AmpOptimWrapper) needs a CUDA GPU' in log
    assert 'train without --amp' in log and not (tmp_path / 'run').exists()

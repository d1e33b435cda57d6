"""The demo through tools/train.py and tools/test.py, shortened: 30 iterations and an evaluation."""
import os
import os.path as osp
import re

import pytest
import torch
from helpers import run, user_env

from mmebv.ebv import generate_ebv
from mmebv.engine.safe_loading import load_checkpoint_file

CONFIG = 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'
SHORT = [
    'train_dataloader.dataset.indices=3840',  # 30 iterations of 128
    'val_dataloader.dataset.indices=2000', 'test_dataloader.dataset.indices=2000',
    'default_hooks.logger.interval=10',
    'custom_hooks.0.force=True',  # draw the progress bar although stdout is a pipe
]

pytestmark = pytest.mark.e2e


def top1(log: str) -> float:
    return float(re.findall(r'accuracy/top1: ([\d.]+)', log)[-1])


@pytest.fixture(scope='module')
def trained(tmp_path_factory):
    work_dir = str(tmp_path_factory.mktemp('demo'))
    log = run(['tools/train.py', CONFIG, '--work-dir', work_dir, '--cfg-options', *SHORT,
               'train_cfg.max_epochs=1'])
    return work_dir, log


def test_short_demo_trains_evaluates_and_saves(trained):
    work_dir, log = trained
    assert 'train epoch 1 [' in log  # the progress bar
    assert 'Epoch(train) [1][30/30]' in log
    assert top1(log) > 40.0  # 10 classes: chance is 10%
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    state = load_checkpoint_file(checkpoint)['state_dict']
    assert torch.equal(state['head.classifier.basis'], generate_ebv(10, 128, seed=0))


def test_checkpoint_evaluates_with_safe_loading(trained):
    work_dir, log = trained
    out = run(['tools/test.py', CONFIG, osp.join(work_dir, 'epoch_1.pth'), '--work-dir', work_dir,
               '--cfg-options', *SHORT])
    assert top1(out) == pytest.approx(top1(log), abs=1e-6)


def test_resume_continues_from_the_checkpoint(trained, tmp_path):
    work_dir, _ = trained
    log = run(['tools/train.py', CONFIG, '--work-dir', str(tmp_path), '--resume',
               osp.join(work_dir, 'epoch_1.pth'), '--cfg-options', *SHORT, 'train_cfg.max_epochs=2'])
    assert 'resumed epoch: 1' in log and 'Epoch(train) [2][30/30]' in log
    assert osp.isfile(os.path.join(str(tmp_path), 'epoch_2.pth'))


def test_two_cpu_processes_with_dist_train_sh(tmp_path):
    """tools/dist_train.sh with 2 processes on CPU: gloo, DDP without device ids."""
    env = user_env(PORT=str(29500 + os.getpid() % 1000), OMP_NUM_THREADS='1',
                   CUDA_VISIBLE_DEVICES='')  # CPU processes on a GPU machine too
    workers = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader')
               for key in ('num_workers=0', 'persistent_workers=False')]
    log = run(['bash', 'tools/dist_train.sh', CONFIG, '2', '--work-dir', str(tmp_path), '--cfg-options',
               'train_dataloader.dataset.indices=1024', 'val_dataloader.dataset.indices=500',
               'train_cfg.max_epochs=1', *workers], env=env, timeout=600)
    assert 'Epoch(train) [1][4/4]' in log and 'accuracy/top1' in log  # 512 images per process
    state = load_checkpoint_file(osp.join(str(tmp_path), 'epoch_1.pth'))
    assert torch.equal(state['state_dict']['head.classifier.basis'], generate_ebv(10, 128, seed=0))


def test_geometry_and_linear_probe_tools_on_the_demo_checkpoint(trained, tmp_path):
    work_dir, _ = trained
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    out = run(['tools/analysis_tools/analyze_geometry.py', CONFIG, checkpoint, '--max-samples', '500',
               '--out-dir', str(tmp_path)])
    assert re.search(r'\| min_angle +\| 90\.0000 \|', out)  # 10 orthonormal EBVs in 128 dims
    assert re.search(r'\| samples +\| 500 \|', out) and '| nc1 ' in out
    wrong = float(re.search(r'\| negative_fraction +\| ([\d.]+) \|', out).group(1))
    assert wrong < 0.6  # the demo checkpoint classifies most test images right: margins mostly positive
    assert osp.isfile(tmp_path / 'geometry.png')
    probe = 'configs/largest_margin/smallconvnet_fc_1xb128-5e_fashion-mnist-lt100.py'  # long-tailed train set
    out = run(['tools/analysis_tools/linear_probe.py', CONFIG, checkpoint, '--probe-config', probe,
               '--train-samples', '1000', '--test-samples', '500'])
    row = next(line for line in out.splitlines() if line.startswith('| smallconvnet_ebv'))
    top1 = float(row.split('|')[-2])
    assert 40 < top1 <= 100  # the frozen demo backbone separates Fashion-MNIST well above chance


def test_cka_tool_gives_ones_on_the_diagonal_for_a_network_with_itself(trained, tmp_path):
    work_dir, _ = trained
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    out = run(['tools/analysis_tools/cka.py', CONFIG, checkpoint, CONFIG, checkpoint, '--max-samples', '300',
               '--debiased', '--out', str(tmp_path / 'cka.png')])
    rows = [line.split('|')[2:-1] for line in out.splitlines() if line.startswith('| ') and '---' not in line][1:]
    assert len(rows) >= 4  # activations and pools of the three stages, and the head input
    assert all(float(row[i]) == pytest.approx(1.0, abs=1e-6) for i, row in enumerate(rows))
    assert osp.isfile(tmp_path / 'cka.png')


@pytest.mark.parametrize('config', [
    'configs/gcr/smallconvnet_gcr_1xb128-5e_fashion-mnist.py',
    'configs/largest_margin/smallconvnet_lmsoftmax_1xb128-5e_fashion-mnist.py',
    'configs/largest_margin/smallconvnet_lmsoftmax-zc_1xb128-5e_fashion-mnist-lt100.py',
    'configs/dml_crc/smallconvnet_dmlcrc_1xb128-5e_fashion-mnist.py',
    'configs/arcface/smallconvnet_arcface_1xb128-5e_fashion-mnist.py',
    'configs/simplex_etf/smallconvnet_etf_1xb128-5e_fashion-mnist.py',
    'configs/hadamard/smallconvnet_hadamard_1xb128-5e_fashion-mnist.py',
    'configs/max_separation/smallconvnet_maxsep_1xb128-5e_fashion-mnist.py',
], ids=lambda p: osp.basename(p).split('_')[1])
def test_every_demo_head_trains_through_train_py(config, tmp_path):
    log = run(['tools/train.py', config, '--work-dir', str(tmp_path), '--cfg-options', *SHORT,
               'train_cfg.max_epochs=1'])
    assert top1(log) > 20.0  # 30 iterations; 10 classes, chance is 10%
    checkpoint = load_checkpoint_file(osp.join(str(tmp_path), 'epoch_1.pth'))  # safe loading reads it
    assert checkpoint['meta']['epoch'] == 1 and 'log_scalars' in checkpoint['message_hub']

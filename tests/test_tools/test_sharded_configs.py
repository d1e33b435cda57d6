"""The 10M-class benchmark config (configs/sharded/) trains one iteration as shipped through
tools/dist_train.sh on 2 gloo processes: each builds and holds its 5M rows of the basis in bfloat16
(5 GiB) and the loss is the exact softmax over all 10M classes. Only the batch size, the sample count,
the iteration count, the workers and the paths are overridden. Measured on this project's 2-core
machine under a load average of 7-8: 114 to 167 s, 11.6 GiB peak over both processes (5.7 GiB each); it is
left out of test_shipped_configs.py and test_configs.py, which run every config on one process.
(The ImageNet-21k config runs there.)"""
import os
import os.path as osp

import pytest
import torch
from helpers import ROOT, run, user_env
from mmengine.config import Config

from mmebv.classifiers.fixed_classifier import decode_origin
from mmebv.engine.safe_loading import load_checkpoint_file

CONFIG = 'configs/sharded/resnet50_sharded-seeded_8xb128-1k_synthetic-10m.py'
SHORT = ['train_dataloader.batch_size=2', 'train_dataloader.dataset.num_samples=4', 'train_cfg.max_iters=1',
         'train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False']


@pytest.mark.e2e
def test_the_10m_class_config_trains_one_iteration_as_shipped_on_two_processes(tmp_path):
    head = Config.fromfile(osp.join(ROOT, CONFIG)).model.head
    shipped = dict(type='SeededRows', seed=0, row_block=1024, rows=10_000_000, dim=512)
    assert (head.num_classes, head.classifier.basis_dtype) == (10_000_000, 'bfloat16')
    env = user_env(PORT=str(29500 + (os.getpid() + 13) % 1000), OMP_NUM_THREADS='1',
                   CUDA_VISIBLE_DEVICES='')  # CPU processes (gloo) on a GPU machine too
    work_dir = str(tmp_path / 'work_dir')
    log = run(['bash', osp.join(ROOT, 'tools/dist_train.sh'), osp.join(ROOT, CONFIG), '2', '--work-dir', work_dir,
               '--cfg-options', *SHORT], cwd=str(tmp_path), env=env)
    assert 'Distributed training: True' in log and 'Saving checkpoint at 1 iterations' in log, log[-3000:]
    # the step ran to its end: the head raises on a non-finite loss (read at once on the CPU)
    state = load_checkpoint_file(osp.join(work_dir, 'iter_1.pth'))
    assert state['meta']['iter'] == 1
    weights = state['state_dict']
    # the checkpoint holds the basis definition of all 10M classes, not their rows
    assert decode_origin(weights['head.classifier.basis_origin']) == shipped
    assert not [k for k in weights if k.startswith('head.') and weights[k].numel() >= 10_000_000]
    assert all(torch.isfinite(v).all() for v in weights.values() if v.is_floating_point())
    # the SGD step was taken: a momentum buffer for every parameter
    assert len(state['optimizer']['state']) == len(state['optimizer']['param_groups'][0]['params'])

"""The papers' ImageNet recipes run their exact pipelines (augmentations, Mixup/CutMix, label
smoothing, optimizers and schedules) through tools/train.py and tools/test.py for an iteration or
two, on a tiny semi-synthetic ImageNet-layout folder that tools/misc/make_semisynthetic_data.py
makes."""
import os.path as osp
import re

import pytest
from helpers import ROOT, run
from mmengine.config import Config

from mmebv.engine.safe_loading import load_checkpoint_file

pytestmark = pytest.mark.e2e

TINY = ['train_dataloader.dataset.indices=2', 'val_dataloader.dataset.indices=2', 'test_dataloader.dataset.indices=2',
        'train_dataloader.batch_size=2', 'val_dataloader.batch_size=2', 'test_dataloader.batch_size=2',
        *[f'{loader}.num_workers=0' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')],
        *[f'{loader}.persistent_workers=False' for loader in ('train_dataloader', 'val_dataloader',
                                                              'test_dataloader')],
        'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1']
# config -> what it trains with; and the schedule shortened to the one epoch run here
RECIPES = {
    'configs/ebv/resnet50_ebv_8xb128-105e_in1k.py': ('EBVClsHead', []),
    'configs/ebv/swin-tiny_ebv_8xb128-105e_in1k.py': ('EBVClsHead', []),
    'configs/gcr/resnetv1d50_gcr_8xb32-coslr-100e_in1k.py': ('RiemannianSGD', []),
    'configs/gcr/resnext50-32x4d_gcr_8xb32-coslr-100e_in1k.py': ('RiemannianSGD', []),
    'configs/gcr/swin-tiny_gcr_8xb128_in1k.py': ('RiemannianAdamW', ['param_scheduler.1.begin=0']),
    'configs/gcr/deit3-small-p16_gcr_8xb256_in1k.py': ('RiemannianLamb', []),
}


@pytest.fixture(scope='module')
def imagenet(tmp_path_factory):
    """A folder with data/imagenet (ImageNet's layout, 4 training and 4 validation images)."""
    cwd = tmp_path_factory.mktemp('recipes')
    run(['tools/misc/make_semisynthetic_data.py', 'imagenet', '--out', str(cwd / 'data' / 'imagenet'),
         '--fashion-root', osp.join(ROOT, 'data/fashion_mnist'), '--train', '4', '--val', '4'])
    return str(cwd)


@pytest.mark.parametrize('config', sorted(RECIPES), ids=lambda p: osp.splitext(osp.basename(p))[0])
def test_recipe_trains_and_evaluates_with_its_pipelines(imagenet, config):
    work_dir = osp.join(imagenet, 'work_dirs', osp.splitext(osp.basename(config))[0])
    log = run([osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config), '--work-dir', work_dir, '--cfg-options',
               *TINY, *RECIPES[config][1]], cwd=imagenet)
    assert 'Epoch(train) [1][1/1]' in log and re.search(r'accuracy/top1: \d', log)
    loss = float(re.findall(r'Epoch\(train\) \[1\]\[1/1\].* loss: ([\d.]+)', log)[-1])
    assert 0 < loss < 100
    out = run([osp.join(ROOT, 'tools/test.py'), osp.join(ROOT, config), osp.join(work_dir, 'epoch_1.pth'),
               '--work-dir', work_dir, '--cfg-options', *TINY], cwd=imagenet)
    assert re.search(r'accuracy/top1: \d', out)
    state = load_checkpoint_file(osp.join(work_dir, 'epoch_1.pth'))  # safe loading reads it
    assert state['optimizer']['param_groups'] and 'state_dict' in state


@pytest.mark.parametrize('config', sorted(RECIPES), ids=lambda p: osp.splitext(osp.basename(p))[0])
def test_recipe_holds_what_its_comment_says(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    kind = RECIPES[config][0]
    if kind == 'EBVClsHead':
        assert cfg.model.head.classifier.embed_dim == 1000 and cfg.model.head.classifier.temperature == 0.07
        assert cfg.model.head.loss == dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')
        assert [a['type'] for a in cfg.model.train_cfg.augments] == ['Mixup', 'CutMix']
        assert [a['alpha'] for a in cfg.model.train_cfg.augments] == [0.2, 1.0]
        assert cfg.train_cfg.max_epochs == 105 and cfg.auto_scale_lr.base_batch_size == 1024
        types = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
        assert 'torchvision/TrivialAugmentWide' in types and 'RandomErasing' in types
        assert cfg.val_dataloader.dataset.pipeline[2].crop_size == 256  # the authors' protocol
        assert cfg.test_dataloader.dataset.pipeline[2].crop_size == 224  # the usual one
    else:
        assert cfg.optim_wrapper.optimizer.type == kind
        assert cfg.model.head.subspace_dim == 8 and cfg.model.head.scale == 25.0
    if 'coslr' in config:
        assert cfg.param_scheduler.type == 'CosineAnnealingLR' and cfg.param_scheduler.T_max == 100

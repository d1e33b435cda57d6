"""The papers' ImageNet recipes hold what their comments say (augmentations, Mixup/CutMix, label
smoothing, optimizers and schedules). That they train and evaluate as shipped is tested with every
config in test_shipped_configs.py."""
import os.path as osp

import pytest
from helpers import ROOT
from mmengine.config import Config


pytestmark = pytest.mark.e2e

# config -> what it trains with
RECIPES = {
    'configs/ebv/resnet50_ebv_8xb128-105e_in1k.py': 'EBVClsHead',
    'configs/ebv/swin-tiny_ebv_8xb128-105e_in1k.py': 'EBVClsHead',
    'configs/gcr/resnetv1d50_gcr_8xb32-coslr-100e_in1k.py': 'RiemannianSGD',
    'configs/gcr/resnext50-32x4d_gcr_8xb32-coslr-100e_in1k.py': 'RiemannianSGD',
    'configs/gcr/swin-tiny_gcr_8xb128_in1k.py': 'RiemannianAdamW',
    'configs/gcr/deit3-small-p16_gcr_8xb256_in1k.py': 'RiemannianLamb',
}


@pytest.mark.parametrize('config', sorted(RECIPES), ids=lambda p: osp.splitext(osp.basename(p))[0])
def test_recipe_holds_what_its_comment_says(config):
    cfg = Config.fromfile(osp.join(ROOT, config))
    kind = RECIPES[config]
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
        assert cfg.model.head.classifier.subspace_dim == 8 and cfg.model.head.classifier.scale == 25.0
    if 'coslr' in config:
        assert cfg.param_scheduler.type == 'CosineAnnealingLR' and cfg.param_scheduler.T_max == 100

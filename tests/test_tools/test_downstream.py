"""Detection and segmentation configs through tools/train.py on tiny semi-synthetic COCO / ADE20K
sets made by tools/misc/make_semisynthetic_data.py, evaluated with mmdet's and mmseg's metrics."""
import os
import os.path as osp
import re

import pytest
import torch
from helpers import ROOT, run, user_env

from mmebv.engine.safe_loading import load_checkpoint_file

SIZE = 160  # keep CPU runs short: images, resize scales and crops at 160 px
NO_WORKERS = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
              for key in ('num_workers=0', 'persistent_workers=False')]
DET_SHORT = [
    'model.backbone.init_cfg=None',  # no ImageNet weights can be downloaded here
    f'train_dataloader.dataset.pipeline.2.scale=({SIZE},{SIZE})',
    f'val_dataloader.dataset.pipeline.1.scale=({SIZE},{SIZE})',
    f'test_dataloader.dataset.pipeline.1.scale=({SIZE},{SIZE})',
    'model.test_cfg.rcnn.score_thr=0.0',  # an untrained detector still returns boxes to evaluate
    'train_cfg.max_epochs=1', 'default_hooks.logger.interval=1', *NO_WORKERS]
SEG_SHORT = [
    'model.backbone.init_cfg=None', 'model.pretrained=None',
    f'model.data_preprocessor.size=({SIZE},{SIZE})',
    f'train_dataloader.dataset.pipeline.2.scale=({2 * SIZE},{SIZE})',
    f'train_dataloader.dataset.pipeline.3.crop_size=({SIZE},{SIZE})',
    f'val_dataloader.dataset.pipeline.1.scale=({2 * SIZE},{SIZE})',
    f'test_dataloader.dataset.pipeline.1.scale=({2 * SIZE},{SIZE})',
    'train_dataloader.batch_size=2', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
    'default_hooks.logger.interval=1', *NO_WORKERS]

pytestmark = pytest.mark.e2e


@pytest.fixture(scope='module')
def data_dir(tmp_path_factory):
    """A folder with data/coco and data/ade/ADEChallengeData2016, where the configs look."""
    cwd = tmp_path_factory.mktemp('downstream')
    for kind in ('coco', 'ade20k'):
        log = run([osp.join(ROOT, 'tools/misc/make_semisynthetic_data.py'), kind,
                   '--fashion-root', osp.join(ROOT, 'data/fashion_mnist'), '--train', '4', '--val', '4',
                   '--size', str(SIZE)], cwd=cwd)
        assert 'wrote a semi-synthetic' in log
    return cwd


def train(config, cwd, options):
    work_dir = osp.join(cwd, 'work_dirs', osp.splitext(osp.basename(config))[0])
    return run([osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config), '--work-dir', work_dir,
                '--cfg-options', *options], cwd=cwd), work_dir


def test_mask_rcnn_ebv_trains_and_reports_coco_metrics(data_dir):
    log, work_dir = train('configs/mask-rcnn_r50_ebv_coco.py', data_dir, DET_SHORT)
    assert 'Epoch(train) [1][2/2]' in log and 'loss_mask' in log
    for metric in ('coco/bbox_mAP', 'coco/segm_mAP'):
        assert re.search(metric + r': \d\.\d+', log), metric
    state = load_checkpoint_file(osp.join(work_dir, 'epoch_1.pth'))['state_dict']  # safe loading reads it
    box, mask = state['roi_head.bbox_head.fc_cls.basis'], state['roi_head.mask_head.conv_logits.basis']
    assert box.shape == (81, 81) and torch.equal(mask, box[:80])  # the mask head on the box basis's rows 0-79


@pytest.mark.parametrize('config', ['configs/upernet/upernet_r50_ebv_4xb4-160k_ade20k-512x512.py',
                                    'configs/sem_fpn/fpn_r50_ebv_4xb4-160k_ade20k-512x512.py'])
def test_segmentation_ebv_trains_and_reports_miou(data_dir, config):
    log, work_dir = train(config, data_dir, SEG_SHORT)
    assert 'Iter(train) [2/2]' in log
    assert re.search(r'mIoU: \d+\.\d+', log)
    assert 'decode_head.conv_seg.basis' in load_checkpoint_file(osp.join(work_dir, 'iter_2.pth'))['state_dict']


def test_two_cpu_processes_with_dist_train_sh(data_dir):
    """tools/dist_train.sh with 2 processes (gloo, SyncBN replaced by BN) on UperNet R18."""
    config = 'configs/upernet/upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'
    env = user_env(PORT=str(29500 + (os.getpid() + 7) % 1000), OMP_NUM_THREADS='1')
    log = run(['bash', osp.join(ROOT, 'tools/dist_train.sh'), osp.join(ROOT, config), '2', '--work-dir',
               osp.join(data_dir, 'work_dirs', 'dist'), '--cfg-options', *SEG_SHORT,
               ], cwd=data_dir, env=env)
    assert 'SyncBN does not run on CPU processes' in log
    assert 'Iter(train) [2/2]' in log and re.search(r'mIoU: \d+\.\d+', log)

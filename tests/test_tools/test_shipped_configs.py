"""Every shipped config (``configs/**/*.py`` but ``_base_``, found by glob, so a new config is covered
at once) trains one iteration through tools/train.py, evaluates through its val loop, and its
checkpoint evaluates through tools/test.py (the test loop), with no override of model or pipeline
settings: only of data size (dataset subsets, batch sizes, workers), paths and iteration counts (the
length of the run, and the start of a scheduler that would begin after its end).

The data are tiny semi-synthetic sets at the configs' own data roots (made by
tools/misc/make_semisynthetic_data.py; CUB's layout written here from its ImageNet-style images).
The pretrained weights a config loads are random stand-ins, in the format of the real file, at the
paths the config names: torch's hub cache under TORCH_HOME for the URLs, ``checkpoints/`` for the
mmebv-pretrained backbones. Nothing is downloaded; a config that loads another file fails with the
list of the files provided.
"""
import glob
import math
import os
import os.path as osp
import re
import shutil
from typing import Iterator, List, Tuple

import pytest
import torch
from helpers import ROOT, official_swin_tiny, run, user_env
from mmengine.config import Config

from mmebv.engine.safe_loading import load_checkpoint_file

pytestmark = pytest.mark.e2e

# Sessions of a class-incremental recipe start from the previous session's checkpoint (load_from):
# test_incremental.py runs them as shipped, chained by tools/misc/run_incremental.py.
CHAINED = 'configs/incremental/'
# 10M x 512 basis rows (10 GB) need several processes: test_sharded_configs.py runs it as shipped on two
MULTI_PROCESS = 'configs/sharded/resnet50_sharded-seeded_8xb128-1k_synthetic-10m.py'
CONFIGS = sorted(osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in osp.relpath(p, ROOT).split(os.sep) and not osp.relpath(p, ROOT).startswith(CHAINED)
                 and osp.relpath(p, ROOT) != MULTI_PROCESS)
LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# URL or path a config loads -> how its stand-in is made: (backbone to build, file layout)
TORCHVISION_R50 = 'https://download.pytorch.org/models/resnet50-0676ba61.pth'  # torchvision://resnet50
PRETRAINED = {
    'torchvision://resnet50': 'torchvision_resnet50',
    'open-mmlab://resnet50_v1c': 'mmseg_resnet50_v1c',
    'open-mmlab://resnet18_v1c': 'mmseg_resnet18_v1c',
    'https://download.openmmlab.com/mmclassification/v0/resnet/resnet50_3rdparty-mill_in21k_20220331-faac000b.pth':
        'mmpretrain_resnet50',
    'https://github.com/SwinTransformer/storage/releases/download/v1.0.0/swin_tiny_patch4_window7_224.pth':
        'original_swin_tiny',
    'https://download.openmmlab.com/mmsegmentation/v0.5/pretrain/swin/'
    'swin_tiny_patch4_window7_224_20220317-1cdeb081.pth': 'mmseg_swin_tiny',
}
# a local file (an mmebv-pretrained backbone, e.g. checkpoints/ebv_official_resnet50.pth) -> its
# stand-in, by the type of the backbone that loads it
LOCAL = {'ResNet': 'mmpretrain_resnet50', 'SwinTransformer': 'mmdet_swin_tiny'}
URLS = {'torchvision://resnet50': TORCHVISION_R50,
        'open-mmlab://resnet50_v1c': 'https://download.openmmlab.com/pretrain/third_party/resnet50_v1c-2cccc1ad.pth',
        'open-mmlab://resnet18_v1c': 'https://download.openmmlab.com/pretrain/third_party/resnet18_v1c-b5776b93.pth'}
# mmdet's COCO metric after evaluating, when no box of the one image scored above the config's
# test_cfg.rcnn.score_thr (0.05): after one iteration, a head can score every box below it
NO_DETECTIONS = 'The testing results of the whole dataset is empty.'
# what the val and test loops print, per scope
METRIC = {'mmpretrain': r'accuracy/top1: \d+\.\d+', 'mmdet': r'coco/bbox_mAP: -?\d\.\d+ .*coco/segm_mAP: -?\d\.\d+',
          'mmseg': r'mIoU: \d+\.\d+'}


def pretrained_state(kind: str) -> dict:
    """A random stand-in for a pretrained file, with the keys and layout the real one has."""
    if kind == 'torchvision_resnet50':
        import torchvision
        return torchvision.models.resnet50().state_dict()  # mmdet's ResNet has torchvision's keys
    if kind == 'mmpretrain_resnet50':  # an mmpretrain classifier's checkpoint: backbone.* keys
        import torchvision
        state = torchvision.models.resnet50().state_dict()
        return dict(state_dict={f'backbone.{k}': v for k, v in state.items() if not k.startswith('fc.')})
    if kind.startswith('mmseg_resnet'):
        from mmseg.models.backbones import ResNetV1c
        return dict(state_dict=ResNetV1c(depth=int(kind[len('mmseg_resnet'):-len('_v1c')])).state_dict())
    if kind == 'original_swin_tiny':  # the Swin authors' release, which mmdet converts (convert_weights)
        _, state = official_swin_tiny(1000)
        return dict(model={k[len('module.backbone.'):]: v for k, v in state.items()})
    if kind in ('mmseg_swin_tiny', 'mmdet_swin_tiny'):  # keys as mmdet's and mmseg's SwinTransformer name them
        from mmseg.models.backbones import SwinTransformer
        state = SwinTransformer(embed_dims=96, depths=[2, 2, 6, 2], num_heads=[3, 6, 12, 24]).state_dict()
        return dict(state_dict={f'backbone.{k}': v for k, v in state.items()})
    raise KeyError(kind)


def write_cub(imagenet: str, out: str) -> None:
    """CUB-200-2011's layout (images/, images.txt, image_class_labels.txt, train_test_split.txt) over
    the ImageNet-style images of ``imagenet``: its train images as CUB's train split, val as test."""
    lines = {'images.txt': [], 'image_class_labels.txt': [], 'train_test_split.txt': []}
    for is_train, split in ((1, 'train'), (0, 'val')):
        with open(osp.join(imagenet, 'meta', f'{split}.txt')) as f:
            for entry in f.read().split('\n'):
                if not entry.strip():
                    continue
                name, label = entry.split()
                index = len(lines['images.txt']) + 1
                target = f'{int(label) + 1:03d}/{index}{osp.splitext(name)[1]}'
                os.makedirs(osp.join(out, 'images', osp.dirname(target)), exist_ok=True)
                shutil.copy(osp.join(imagenet, split, name), osp.join(out, 'images', target))
                lines['images.txt'].append(f'{index} {target}')
                lines['image_class_labels.txt'].append(f'{index} {int(label) + 1}')
                lines['train_test_split.txt'].append(f'{index} {is_train}')
    for name, rows in lines.items():
        with open(osp.join(out, name), 'w') as f:
            f.write('\n'.join(rows) + '\n')


@pytest.fixture(scope='module')
def workspace(tmp_path_factory) -> str:
    """A working directory with the data at the configs' data roots and the pretrained stand-ins."""
    cwd = str(tmp_path_factory.mktemp('shipped'))
    fashion = osp.join(ROOT, 'data', 'fashion_mnist')
    os.makedirs(osp.join(cwd, 'data'))
    os.symlink(fashion, osp.join(cwd, 'data', 'fashion_mnist'))
    for kind, out, size in (('imagenet', 'data/imagenet', 64), ('coco', 'data/coco', 160),
                            ('ade20k', 'data/ade/ADEChallengeData2016', 160)):
        run([osp.join(ROOT, 'tools/misc/make_semisynthetic_data.py'), kind, '--out', osp.join(cwd, out),
             '--fashion-root', fashion, '--train', '2', '--val', '2', '--size', str(size)], cwd=cwd)
    write_cub(osp.join(cwd, 'data', 'imagenet'), osp.join(cwd, 'data', 'CUB_200_2011'))
    os.symlink('imagenet', osp.join(cwd, 'data', 'imagenet21k'))  # the same layout and meta/*.txt lines
    hub = osp.join(cwd, 'torch', 'hub', 'checkpoints')
    os.makedirs(hub)
    for source, kind in PRETRAINED.items():
        torch.save(pretrained_state(kind), osp.join(hub, osp.basename(URLS.get(source, source))))
    return cwd


def provide_local_checkpoints(cfg: Config, cwd: str) -> None:
    """Write a stand-in for each local file the config's backbone loads (relative to ``cwd``, as
    the config names it), or fail naming what is loaded that has none."""
    backbone = cfg.model.get('backbone', {})
    for source in loaded_checkpoints(cfg.model):
        if '://' in source:
            assert source in PRETRAINED, f'the config loads {source}: add a stand-in to PRETRAINED'
            continue
        kind = LOCAL.get(backbone.get('type', '').split('.')[-1])
        assert kind, f'the config loads {source} into a {backbone.get("type")}: add a stand-in to LOCAL'
        path = osp.join(cwd, source)
        if not osp.isfile(path):
            os.makedirs(osp.dirname(path), exist_ok=True)
            torch.save(pretrained_state(kind), path)


def datasets(node: dict, key: str) -> Iterator[Tuple[str, dict]]:
    """The key paths of the datasets that hold samples under a dataloader's ``dataset`` (through
    RepeatDataset and other wrappers with a ``dataset``)."""
    if 'dataset' in node:
        yield from datasets(node['dataset'], f'{key}.dataset')
    else:
        yield key, node


def loaded_checkpoints(node) -> Iterator[str]:
    """Every ``checkpoint`` of an ``init_cfg`` and every ``pretrained`` in a model config."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and node.get('checkpoint'):
            yield node['checkpoint']
        if isinstance(node.get('pretrained'), str):
            yield node['pretrained']
        for value in node.values():
            yield from loaded_checkpoints(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from loaded_checkpoints(value)


def short(cfg: Config, loaders=LOADERS) -> List[str]:
    """--cfg-options of data size and iteration counts only: samples, batch size (1; 2 to train in
    mmseg, where BN after UperNet's 1 x 1 pooling needs two values per channel), no worker
    processes, one training iteration or epoch of one batch, validation at its end."""
    options = []
    for loader in loaders:
        if cfg.get(loader) is None:
            continue
        batch = 2 if loader == 'train_dataloader' and cfg.default_scope == 'mmseg' else 1
        options += [f'{loader}.batch_size={batch}', f'{loader}.num_workers=0']
        for key, dataset in datasets(cfg[loader]['dataset'], f'{loader}.dataset'):
            options.append(f'{key}.indices={batch}')
        if 'times' in cfg[loader]['dataset']:
            options.append(f'{loader}.dataset.times=1')
    if 'train_dataloader' in loaders:
        loop = 'max_iters' if 'max_iters' in cfg.train_cfg else 'max_epochs'
        options += [f'train_cfg.{loop}=1', 'train_cfg.val_interval=1', *schedule_starts(cfg)]
    return options


def schedule_starts(cfg: Config) -> List[str]:
    """A scheduler that runs to the end of training starts at 0 in a run of one iteration or epoch:
    mmengine ends it at the end of training and refuses one that would end before it begins (a Swin
    recipe's cosine begins at epoch 20, after 20 warm-up epochs)."""
    schedulers = cfg.get('param_scheduler') or []
    if isinstance(schedulers, dict):
        return ['param_scheduler.begin=0'] if schedulers.get('begin', 0) > 0 and schedulers.get('end') is None else []
    return [f'param_scheduler.{i}.begin=0' for i, s in enumerate(schedulers)
            if s.get('begin', 0) > 0 and s.get('end') is None]


def mask_rcnn_bases(state: dict) -> None:
    """EBV's Mask R-CNN: the mask head classifies on the box basis's rows 0-79 (81 = 80 classes and
    the background)."""
    box, mask = state['roi_head.bbox_head.fc_cls.basis'], state['roi_head.mask_head.conv_logits.basis']
    assert box.shape == (81, 81) and torch.equal(mask, box[:80])


# config -> a check of what its checkpoint holds, beyond training and evaluating
CHECKPOINT_CHECKS = {'configs/mask-rcnn_r50_ebv_coco.py': mask_rcnn_bases}


def test_every_config_is_found():
    assert len(CONFIGS) >= 40 and 'configs/mask-rcnn_r50_ebv_coco.py' in CONFIGS
    assert not [c for c in CONFIGS if '_base_' in c]


@pytest.mark.parametrize('config', CONFIGS, ids=lambda c: osp.splitext(osp.relpath(c, 'configs'))[0])
def test_config_trains_one_iteration_and_evaluates(workspace, config, tmp_path):
    cfg = Config.fromfile(osp.join(ROOT, config))
    provide_local_checkpoints(cfg, workspace)
    work_dir = str(tmp_path / 'work_dir')
    env = user_env(TORCH_HOME=osp.join(workspace, 'torch'))
    log = run([osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config), '--work-dir', work_dir,
               '--cfg-options', *short(cfg)], cwd=workspace, env=env)
    assert 'Downloading' not in log  # every pretrained file was found at the config's path
    metric = METRIC[cfg.default_scope]
    assert re.search(r'\(val\).*' + metric, log) or (cfg.default_scope == 'mmdet' and NO_DETECTIONS in log), log[-3000:]
    losses = re.findall(r'\(train\).* loss: (\S+)', log)
    assert losses and 0 < float(losses[-1]) < math.inf, losses  # finite (a nan loss prints nan); DeiT's BCE sums
    # over 1000 classes: 693 at the start
    checkpoint = osp.join(work_dir, 'iter_1.pth' if 'max_iters' in cfg.train_cfg else 'epoch_1.pth')
    state = load_checkpoint_file(checkpoint)  # safe loading reads what training wrote
    assert state['meta']['iter'] >= 1 and state['state_dict'] and state['optimizer']['param_groups']
    if config in CHECKPOINT_CHECKS:
        CHECKPOINT_CHECKS[config](state['state_dict'])
    if cfg.test_dataloader != cfg.val_dataloader or cfg.test_evaluator != cfg.val_evaluator:
        # a test loop of its own (the EBV ImageNet recipes: val at 256 px, test at 224 px)
        log = run([osp.join(ROOT, 'tools/test.py'), osp.join(ROOT, config), checkpoint, '--work-dir', work_dir,
                   '--cfg-options', *short(cfg, ('test_dataloader', ))], cwd=workspace, env=env)
        assert re.search(r'\(test\).*' + metric, log), log[-3000:]
    shutil.rmtree(work_dir)  # checkpoints of up to 0.5 GB each

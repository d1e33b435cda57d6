"""The ImageNet class-incremental recipes as shipped: ImageNet-100 B50-inc10 and ImageNet-1k
B500-inc100, EBV extended per session. tools/misc/run_incremental.py runs every session config,
chained as the recipe chains them (session k loads session k-1's last checkpoint and history), for
one training iteration and one validation, on the semi-synthetic ImageNet of
tools/misc/make_semisynthetic_data.py whose annotation files spread its images over all 1,000 labels
(it writes labels 0-9 only; every class of a session needs samples). Overridden: data size (the
``indices`` cut of each session's samples, ``max_exemplars``), workers and the number of epochs;
never the classes, the class order, num_classes or the basis."""
import glob
import json
import os.path as osp
import time

import pytest
import torch
from helpers import ROOT, run, user_env
from mmengine import Config

from mmebv.cls.datasets.class_orders import CLASS_ORDERS
from mmebv.cls.metrics.incremental import read_history
from mmebv.engine.safe_loading import load_checkpoint_file

# recipe folder -> (classes of session 1, classes added per session, embedding dim d)
RECIPES = {'configs/incremental/ebv_extend_imagenet100': (50, 10, 100),
           'configs/incremental/ebv_extend_imagenet1k': (500, 100, 1000)}
SESSIONS = 6
# one iteration of one image of the session's classes and one exemplar, one validation image
SHORT = ['train_dataloader.dataset.dataset.indices=1', 'train_dataloader.dataset.max_exemplars=1',
         'val_dataloader.dataset.dataset.indices=1', 'test_dataloader.dataset.dataset.indices=1',
         'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0', 'test_dataloader.num_workers=0',
         'train_cfg.max_epochs=1']


def spread_over_imagenet_labels(root: str, count: int = 1000) -> None:
    """Rewrite ``root/meta/{train,val}.txt`` so that label c (0..count-1) names the (c mod n)-th image
    of the split: every ImageNet-1k class holds one sample."""
    for split in ('train', 'val'):
        path = osp.join(root, 'meta', f'{split}.txt')
        with open(path) as f:
            names = [line.split()[0] for line in f if line.strip()]
        with open(path, 'w') as f:
            f.write(''.join(f'{names[c % len(names)]} {c}\n' for c in range(count)))


def value(cfg: Config, key: str):
    """``cfg``'s value at the dotted ``key``."""
    for part in key.split('.'):
        cfg = cfg[part]
    return cfg


@pytest.fixture(scope='module')
def workspace(tmp_path_factory) -> str:
    """A working directory whose data/imagenet is the semi-synthetic ImageNet over 1,000 labels."""
    cwd = str(tmp_path_factory.mktemp('incremental_imagenet'))
    run([osp.join(ROOT, 'tools/misc/make_semisynthetic_data.py'), 'imagenet', '--out', osp.join(cwd, 'data/imagenet'),
         '--fashion-root', osp.join(ROOT, 'data', 'fashion_mnist'), '--train', '8', '--val', '4', '--size', '64'],
        cwd=cwd)
    spread_over_imagenet_labels(osp.join(cwd, 'data', 'imagenet'))
    return cwd


def test_every_imagenet_recipe_is_run_here():
    """configs/incremental/ is left out of test_shipped_configs.py: each ImageNet recipe must be here."""
    found = {osp.relpath(p, ROOT) for p in glob.glob(osp.join(ROOT, 'configs', 'incremental', '*imagenet*'))
             if osp.isdir(p)}
    assert found == set(RECIPES)
    for recipe in RECIPES:
        names = sorted(osp.basename(p) for p in glob.glob(osp.join(ROOT, recipe, '*.py')))
        assert names == [f'resnet18_ebv_session_{k}.py' for k in range(1, SESSIONS + 1)]


@pytest.mark.e2e
@pytest.mark.parametrize('recipe', sorted(RECIPES))
def test_imagenet_recipe_trains_every_session_chained(recipe, workspace, tmp_path):
    first, step, dim = RECIPES[recipe]
    work_dir = str(tmp_path / 'work')
    start = time.perf_counter()
    log = run([osp.join(ROOT, 'tools/misc/run_incremental.py'), osp.join(ROOT, recipe), '--work-dir', work_dir,
               '--cfg-options', *SHORT], cwd=workspace, env=user_env(OMP_NUM_THREADS='2'))
    print(f'{recipe}: {SESSIONS} sessions in {time.perf_counter() - start:.1f} s')
    classes = [first + step * k for k in range(SESSIONS)]
    summary = json.load(open(osp.join(work_dir, 'summary.json')))
    assert [row['num_classes'] for row in summary['sessions']] == classes
    history = read_history(osp.join(work_dir, f'session_{SESSIONS}', 'incremental.json'))
    assert [s['num_classes'] for s in history] == classes
    # Relabelled through the class order: session k validated one image, the first in meta/val.txt of
    # its classes, i.e. ImageNet label L = min(class_order[:N_k]) (line c holds label c); it counts as
    # class class_order.index(L), the only class with an accuracy (the others have no image: NaN).
    order = list(CLASS_ORDERS[Config.fromfile(osp.join(ROOT, recipe, 'resnet18_ebv_session_1.py')).class_order])
    for session, count in zip(history, classes):
        label = min(order[:count])
        assert [c for c, a in enumerate(session['per_class']) if a == a] == [order.index(label)]
    states = []
    for k in range(1, SESSIONS + 1):
        session_dir = osp.join(work_dir, f'session_{k}')
        shipped = Config.fromfile(osp.join(ROOT, recipe, f'resnet18_ebv_session_{k}.py'))
        ran = Config.fromfile(osp.join(session_dir, f'resnet18_ebv_session_{k}.py'))
        # as shipped: the classes, their order, the head and its basis; 64 images a step on one process
        for key in ('train_dataloader.dataset.classes', 'train_dataloader.dataset.exemplar_classes',
                    'train_dataloader.dataset.class_order', 'val_dataloader.dataset.classes',
                    'val_dataloader.dataset.class_order', 'model.head'):
            assert value(ran, key) == value(shipped, key), key
        assert ran.train_dataloader.batch_size == shipped.total_batch_size == 64
        assert ran.model.head.num_classes == classes[k - 1]
        states.append(load_checkpoint_file(osp.join(session_dir, 'epoch_1.pth'))['state_dict'])
        basis = states[-1]['head.classifier.basis']
        assert basis.shape == (classes[k - 1], dim)
        if k > 1:
            # chained: loaded session k-1's checkpoint, kept its basis rows bit for bit, and trained
            assert ran.load_from == osp.join(work_dir, f'session_{k - 1}', 'epoch_1.pth')
            assert torch.equal(basis[:classes[k - 2]], states[-2]['head.classifier.basis'])
            weight = 'backbone.conv1.weight'
            assert not torch.equal(states[-1][weight], states[-2][weight])
    assert log.count('Load checkpoint from') >= SESSIONS - 1

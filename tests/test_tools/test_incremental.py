"""Class-incremental learning (issue 24 item 3): the session dataset with its exemplar memory, the
IncrementalAccuracy metric and its results file, and tools/misc/run_incremental.py running the
Fashion-MNIST 4 + 2 + 2 + 2 recipe end to end on one process and on two (dist_train.sh)."""
import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from helpers import ROOT, run, user_env
from mmengine import Config
from mmpretrain.structures import DataSample

from mmebv.cls.datasets import ClassIncrementalDataset
from mmebv.cls.metrics import IncrementalAccuracy
from mmebv.cls.metrics.incremental import read_history
from mmebv.engine.safe_loading import load_checkpoint_file

DATA = osp.join(ROOT, 'data', 'fashion_mnist')
RECIPE = 'configs/incremental/ebv_extend'
TEST_SET = dict(type='LocalFashionMNIST', data_root=DATA, split='test')
# tiny sessions: 64 images of the session's classes (plus the 20 exemplars per old class), 100 test images
TINY = ['train_dataloader.dataset.dataset.indices=64', 'val_dataloader.dataset.dataset.indices=100',
        'train_cfg.max_epochs=1', 'train_dataloader.num_workers=0', 'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False']


def session(k: int) -> str:
    return osp.join(ROOT, RECIPE, f'smallconvnet_ebv_session_{k}.py')


def labels_of(dataset) -> np.ndarray:
    return np.array([int(dataset[i]['gt_label']) for i in range(len(dataset))])


def test_session_set_holds_its_classes_and_a_seeded_exemplar_memory():
    session = ClassIncrementalDataset(TEST_SET, classes=[4, 5], exemplar_classes=4, exemplars_per_class=7, seed=3)
    labels = labels_of(session)
    assert np.bincount(labels, minlength=10).tolist() == [7, 7, 7, 7, 1000, 1000, 0, 0, 0, 0]
    assert (session.get_gt_labels() == labels).all()
    # the same exemplars of classes 0-3 in a later session (other classes around them) and on any rank
    later = ClassIncrementalDataset(TEST_SET, classes=[6, 7], exemplar_classes=6, exemplars_per_class=7, seed=3)
    assert set(session.exemplar_indices.tolist()) <= set(later.exemplar_indices.tolist())
    other_seed = ClassIncrementalDataset(TEST_SET, classes=[4, 5], exemplar_classes=4, exemplars_per_class=7, seed=4)
    assert set(other_seed.exemplar_indices.tolist()) != set(session.exemplar_indices.tolist())


def test_indices_cut_the_session_samples_after_the_class_choice():
    # the first 8 test images hold no class 4 or 5: a cut of the inner set would leave nothing
    session = ClassIncrementalDataset(dict(TEST_SET, indices=8), classes=[4, 5], exemplar_classes=[0],
                                      exemplars_per_class=2)
    labels = labels_of(session)
    assert len(labels) == 10 and labels[:8].tolist().count(4) == 4 and labels[8:].tolist() == [0, 0]
    # taken in turn from each class: the 6 classes of a validation set in 8 samples, the first of each
    seen = ClassIncrementalDataset(dict(TEST_SET, indices=8), classes=6)
    assert set(labels_of(seen)) == set(range(6))
    labels = np.asarray(seen.dataset.get_gt_labels())
    assert sorted(seen.indices[:6].tolist()) == sorted(int(np.flatnonzero(labels == c)[0]) for c in range(6))


@pytest.mark.parametrize('kwargs, message', [
    (dict(classes=[0, 1], exemplar_classes=[1]), r'classes \[1\] are both session classes and exemplar classes'),
    (dict(classes=[12]), r'classes \[12\] have no sample'),
    (dict(classes=[]), 'classes is empty'),
    (dict(classes=[4], exemplar_classes=[0]), 'exemplars_per_class=0 stores nothing'),
    (dict(classes='0-3'), "classes='0-3' must be a list of class indices"),
])
def test_bad_sessions_are_refused_by_name(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ClassIncrementalDataset(TEST_SET, **kwargs)


def samples(gt, pred):
    return [DataSample().set_gt_label(g).set_pred_label(p).to_dict() for g, p in zip(gt, pred)]


def evaluate(metric: IncrementalAccuracy, gt, pred) -> dict:
    metric.process(None, samples(gt, pred))
    return metric.evaluate(len(gt))


def test_metric_accuracy_average_and_forgetting_over_sessions(tmp_path):
    first, second = str(tmp_path / 'first.json'), str(tmp_path / 'second.json')
    # session 1: classes 0 and 1, class 0 half right, class 1 all right
    result = evaluate(IncrementalAccuracy(num_classes=2, out_file=first), [0, 0, 1, 1], [0, 1, 1, 1])
    assert result == {'incremental/accuracy': 75.0, 'incremental/accuracy_new': 75.0,
                      'incremental/average_incremental': 75.0}
    # session 2 adds class 2: class 0 now all right (50 gained), class 1 none (100 lost), class 2 none
    metric = IncrementalAccuracy(num_classes=3, num_old_classes=2, history=first, out_file=second)
    result = evaluate(metric, [0, 0, 1, 1, 2, 2], [0, 0, 0, 0, 1, 1])
    assert result['incremental/accuracy'] == pytest.approx(100 / 3)
    assert result['incremental/accuracy_old'] == 50.0 and result['incremental/accuracy_new'] == 0.0
    assert result['incremental/average_incremental'] == pytest.approx((75 + 100 / 3) / 2)
    assert result['incremental/forgetting'] == pytest.approx(((50 - 100) + (100 - 0)) / 2)  # best earlier - now
    sessions = read_history(second)
    assert [s['num_classes'] for s in sessions] == [2, 3] and sessions[1]['per_class'] == [100.0, 0.0, 0.0]


def test_metric_refuses_bad_history_and_labels(tmp_path):
    with pytest.raises(FileNotFoundError, match='run that session first'):
        IncrementalAccuracy(num_classes=4, num_old_classes=2, history=str(tmp_path / 'none.json'))
    with pytest.raises(ValueError, match='needs history='):
        IncrementalAccuracy(num_classes=4, num_old_classes=2)
    bad = tmp_path / 'bad.json'
    bad.write_text(json.dumps({'sessions': [1]}))
    with pytest.raises(ValueError, match='is not a results file of IncrementalAccuracy'):
        IncrementalAccuracy(num_classes=4, num_old_classes=2, history=str(bad))
    good = str(tmp_path / 'good.json')
    evaluate(IncrementalAccuracy(num_classes=2, out_file=good), [0, 1], [0, 1])
    with pytest.raises(ValueError, match='ends with a session of 2 classes, but num_old_classes=3'):
        IncrementalAccuracy(num_classes=4, num_old_classes=3, history=good)
    with pytest.raises(ValueError, match=r'holds classes \[5\], outside the 4 seen so far'):
        evaluate(IncrementalAccuracy(num_classes=4), [0, 5], [0, 1])


def test_recipe_refuses_a_session_of_fewer_classes_before_training(tmp_path):
    recipe = tmp_path / 'recipe'
    recipe.mkdir()
    for k in (1, 2):
        (recipe / f'session_{k}.py').write_text(f"_base_ = '{session(k)}'\n")
    # session 3 loads session 2's checkpoint (6 classes) into a head of 4
    (recipe / 'session_3.py').write_text(f"_base_ = '{session(3)}'\n" 'model = dict(head=dict(num_classes=4))\n')
    out = run(['tools/misc/run_incremental.py', str(recipe), '--work-dir', str(tmp_path / 'work'), '--cfg-options',
               *TINY], check=False)
    assert 'session_3.py builds a head of 4 classes, but the session before it' in out and 'ends with 6' in out
    assert not osp.exists(tmp_path / 'work')  # nothing trained
    out = run(['tools/misc/run_incremental.py', RECIPE, '--work-dir', str(tmp_path / 'work'), '--gpus', '3',
               '--cfg-options', *TINY], check=False)
    assert 'total batch size 128' in out and 'split into 3 equal per-process batches' in out


def check_recipe_run(work_dir: str, log: str, per_process_batch: int, frozen: bool) -> None:
    """Four sessions trained and evaluated; the grown head kept the old basis rows; the backbone
    trained in every session, or kept session 1's weights when ``frozen``; the summary is the last
    session's history."""
    assert 'session  classes  accuracy  avg_incremental  forgetting' in log
    summary = json.load(open(osp.join(work_dir, 'summary.json')))
    assert [row['num_classes'] for row in summary['sessions']] == [4, 6, 8, 10]
    assert summary['sessions'][0]['forgetting'] is None and summary['forgetting'] is not None
    states = [load_checkpoint_file(osp.join(work_dir, f'session_{k}', 'epoch_1.pth'))['state_dict']
              for k in (1, 2, 3, 4)]
    for k, state in enumerate(states[1:], start=1):
        basis = state['head.classifier.basis']
        assert basis.shape == (4 + 2 * k, 128)
        assert torch.equal(basis[:2 + 2 * k], states[k - 1]['head.classifier.basis'])  # old rows bit for bit
        kept = torch.equal(state['backbone.features.0.weight'], states[k - 1]['backbone.features.0.weight'])
        assert kept == frozen
    projection = 'head.classifier.projection.weight'
    assert not torch.equal(states[1][projection], states[0][projection])  # the head trained
    for k in (1, 2, 3, 4):
        cfg = Config.fromfile(osp.join(work_dir, f'session_{k}', f'smallconvnet_ebv_session_{k}.py'))
        assert cfg.train_dataloader.batch_size == per_process_batch
        assert cfg.train_dataloader.dataset.exemplar_classes == (2 * k if k > 1 else [])  # classes 0..2k-1
        assert cfg.val_evaluator.num_classes == 2 + 2 * k
    history = read_history(osp.join(work_dir, 'session_4', 'incremental.json'))
    assert [s['accuracy'] for s in history] == [row['accuracy'] for row in summary['sessions']]


@pytest.mark.e2e
def test_recipe_runs_end_to_end_on_one_process(tmp_path):
    work_dir = str(tmp_path / 'one')
    log = run(['tools/misc/run_incremental.py', RECIPE, '--work-dir', work_dir, '--cfg-options', *TINY],
              env=user_env(OMP_NUM_THREADS='1'))
    check_recipe_run(work_dir, log, per_process_batch=128, frozen=False)
    # a checkpoint of 6 classes loaded (the wrong one) into the 4-class session: refused by name
    out = run(['tools/train.py', session(1), '--work-dir', str(tmp_path / 'wrong'),
               '--cfg-options', *TINY, 'model.head.classifier.grow_from_checkpoint=True',
               f'load_from={osp.join(work_dir, "session_2", "epoch_1.pth")}'], check=False)
    assert 'the checkpoint holds 6 classes, more than the 4 this config builds' in out


@pytest.mark.e2e
def test_recipe_runs_end_to_end_on_two_processes(tmp_path):
    env = user_env(PORT=str(29500 + os.getpid() % 1000), OMP_NUM_THREADS='1',
                   CUDA_VISIBLE_DEVICES='')  # CPU processes (gloo) on a GPU machine too
    work_dir = str(tmp_path / 'two')
    log = run(['tools/misc/run_incremental.py', RECIPE, '--work-dir', work_dir, '--gpus', '2', '--freeze-backbone',
               '--cfg-options', *TINY], env=env)
    assert 'tools/dist_train.sh' in log and 'Distributed training: True' in log
    assert 'the current batch size is 128. Scaling the original LR by 1.0' in log  # 2 x 64
    check_recipe_run(work_dir, log, per_process_batch=64, frozen=True)

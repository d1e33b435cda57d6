"""MMEBV_SMOKE cuts data and iteration counts only, and refuses values it does not know."""
import copy

import pytest
from mmengine.config import Config

from mmebv.engine.smoke import apply_smoke, smoke_limits


def config() -> Config:
    leaf = dict(type='CocoDataset', ann_file='a.json', pipeline=[dict(type='LoadImageFromFile')])
    return Config(dict(
        model=dict(type='MaskRCNN', backbone=dict(depth=50)),
        train_dataloader=dict(batch_size=2, num_workers=2, dataset=dict(type='RepeatDataset', times=3, dataset=leaf)),
        val_dataloader=dict(batch_size=1, dataset=dict(type='ConcatDataset', datasets=[copy.deepcopy(leaf),
                                                                                         dict(leaf, indices=3)])),
        test_dataloader=dict(batch_size=1, dataset=dict(leaf, indices=list(range(100)))),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=80000, val_interval=8000)))


def test_off_unless_set_to_one():
    cfg = config()
    before = cfg.to_dict()
    assert not apply_smoke(cfg, {}) and not apply_smoke(cfg, {'MMEBV_SMOKE': '0'})
    assert cfg.to_dict() == before


def test_cuts_every_dataset_and_the_iterations_and_nothing_else(capsys):
    cfg = config()
    before = cfg.to_dict()
    assert apply_smoke(cfg, {'MMEBV_SMOKE': '1'})
    after = cfg.to_dict()
    assert after['train_dataloader']['dataset']['dataset']['indices'] == 8
    assert [d['indices'] for d in after['val_dataloader']['dataset']['datasets']] == [8, 3]
    assert after['test_dataloader']['dataset']['indices'] == list(range(8))
    assert after['train_cfg'] == dict(type='IterBasedTrainLoop', max_iters=2, val_interval=2)
    for key in ('model', ):
        assert after[key] == before[key]
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):  # batch size, workers kept
        assert {k: v for k, v in after[loader].items() if k != 'dataset'} == \
            {k: v for k, v in before[loader].items() if k != 'dataset'}
    assert after['train_dataloader']['dataset']['dataset']['pipeline'] == before['train_dataloader']['dataset'][
        'dataset']['pipeline']
    assert 'MMEBV_SMOKE=1' in capsys.readouterr().out
    assert smoke_limits({'MMEBV_SMOKE': '1', 'MMEBV_SMOKE_SAMPLES': '32', 'MMEBV_SMOKE_ITERS': '5'}) == (32, 5)


@pytest.mark.parametrize('env, name', [({'MMEBV_SMOKE': 'yes'}, 'MMEBV_SMOKE='),
                                       ({'MMEBV_SMOKE': '1', 'MMEBV_SMOKE_SAMPLES': '0'}, 'MMEBV_SMOKE_SAMPLES='),
                                       ({'MMEBV_SMOKE': '1', 'MMEBV_SMOKE_ITERS': 'many'}, 'MMEBV_SMOKE_ITERS=')])
def test_bad_values_are_refused_by_name(env, name):
    with pytest.raises(ValueError, match=name):
        smoke_limits(env)


@pytest.mark.e2e
def test_train_and_test_tools_read_the_variable(tmp_path):
    """tools/train.py and tools/test.py as a user runs them: the demo config, five epochs of 8 images."""
    from helpers import run, user_env
    config = 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'
    env = user_env(MMEBV_SMOKE='1')
    trained = run(['tools/train.py', config, '--work-dir', str(tmp_path)], env=env)
    assert 'MMEBV_SMOKE=1: every dataset cut to its first 8 samples' in trained
    assert (tmp_path / 'epoch_5.pth').is_file()  # the config's five epochs, each one batch
    tested = run(['tools/test.py', config, str(tmp_path / 'epoch_5.pth'), '--work-dir', str(tmp_path / 'test')],
                 env=env)
    assert 'MMEBV_SMOKE=1: every dataset cut to its first 8 samples' in tested

"""No wrong number without an error: a checkpoint of another head is refused by tools/test.py, and a
non-finite feature stops training through tools/train.py before a checkpoint of it is written."""
import os
import os.path as osp
import textwrap

import pytest
import torch
import torch.nn as nn
from helpers import ROOT, run, user_env
from mmengine.config import Config
from mmpretrain.registry import MODELS

from mmebv.engine.checkpoints import check_weights_match
from mmebv.engine.safe_loading import CheckpointError, load_checkpoint_file

TINY = ['train_dataloader.dataset.indices=256', 'val_dataloader.dataset.indices=200',
        'test_dataloader.dataset.indices=200', 'default_hooks.logger.interval=1']
# tools/train.py with a hook that turns the backbone's output into NaN at iteration $NAN_AT (0-based)
NAN_TRAIN = textwrap.dedent(f'''
    import os, runpy, sys
    from mmengine.hooks import Hook
    from mmengine.model import is_model_wrapper
    from mmengine.runner import Runner

    class InjectNaN(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            if runner.iter == int(os.environ['NAN_AT']):
                model = runner.model.module if is_model_wrapper(runner.model) else runner.model
                self.handle = model.backbone.register_forward_hook(
                    lambda m, i, out: tuple(o * float('nan') for o in out) if isinstance(out, tuple)
                    else out * float('nan'))

        def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
            if getattr(self, 'handle', None) is not None:
                self.handle.remove()
                self.handle = None

    train = Runner.train
    def train_with_nan(self):
        self.register_hook(InjectNaN())
        return train(self)
    Runner.train = train_with_nan
    sys.argv[0] = {osp.join(ROOT, 'tools', 'train.py')!r}
    runpy.run_path(sys.argv[0], run_name='__main__')
''')


def test_check_weights_match_names_missing_unexpected_and_reshaped_weights():
    model = nn.Sequential(nn.Linear(4, 3), nn.BatchNorm1d(3))
    check_weights_match(model, {f'module.{k}': v for k, v in model.state_dict().items()})  # DDP prefix: fine
    state = dict(model.state_dict())
    del state['0.weight']
    state['head.fc.weight'] = torch.zeros(1)
    state['0.bias'] = torch.zeros(5)
    with pytest.raises(CheckpointError, match=r'ckpt does not fit the model this config builds: it lacks 1 weights the '
                                              r'model needs \(0\.weight\); it holds 1 the model does not have '
                                              r'\(head\.fc\.weight\); shapes differ for 0\.bias \(5,\) vs \(3,\)'):
        check_weights_match(model, state, 'ckpt')


def test_check_weights_match_applies_the_modules_own_loading_rules():
    cfg = Config.fromfile(osp.join(ROOT, 'configs/gcr/smallconvnet_gcr_1xb128-5e_fashion-mnist.py'))
    gcr = MODELS.build(cfg.model)
    state = dict(gcr.state_dict())
    state['head.fc.weight'] = state.pop('head.classifier.subspaces').flatten(0, 1)  # the GCR authors' layout
    check_weights_match(gcr, state)
    cfg = Config.fromfile(osp.join(ROOT, 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'))
    ebv = MODELS.build(cfg.model)
    state = dict(ebv.state_dict())
    check_weights_match(ebv, state)
    state['head.classifier.basis'] = state['head.classifier.basis'][:, :64]
    with pytest.raises(ValueError, match='is not the one this config builds'):
        check_weights_match(ebv, state)


@pytest.mark.e2e
@pytest.mark.parametrize('trained_with, tested_with', [
    ('configs/ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py',
     'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'),
    ('configs/dml_crc/smallconvnet_dmlcrc_1xb128-5e_fashion-mnist.py',
     'configs/gcr/smallconvnet_gcr_1xb128-5e_fashion-mnist.py'),
], ids=['fc-as-ebv', 'dmlcrc-as-gcr'])
def test_test_py_refuses_a_checkpoint_of_another_head(tmp_path, trained_with, tested_with):
    cfg = Config.fromfile(osp.join(ROOT, trained_with))
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    path = tmp_path / 'other_head.pth'
    torch.save(dict(meta=dict(epoch=1), state_dict=model.state_dict()), path)
    log = run(['tools/test.py', tested_with, str(path), '--work-dir', str(tmp_path), '--cfg-options', *TINY],
              check=False)
    assert 'does not fit the model this config builds' in log and 'accuracy/top1' not in log, log[-3000:]
    assert 'head.' in log.split('does not fit', 1)[1]


@pytest.mark.e2e
@pytest.mark.parametrize('config', [
    'configs/largest_margin/smallconvnet_lmsoftmax_1xb128-5e_fashion-mnist.py',
    'configs/largest_margin/smallconvnet_lmsoftmax-zc_1xb128-5e_fashion-mnist-lt100.py',
    'configs/dml_crc/smallconvnet_dmlcrc_1xb128-5e_fashion-mnist.py',
    'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py',
], ids=['lmsoftmax', 'lmsoftmax-zc', 'dmlcrc', 'ebv'])
def test_a_nan_feature_stops_training_before_a_checkpoint_of_it(tmp_path, config):
    script = tmp_path / 'nan_train.py'
    script.write_text(NAN_TRAIN)
    work_dir = tmp_path / 'run'
    log = run([str(script), config, '--work-dir', str(work_dir), '--cfg-options', *TINY, 'train_cfg.max_epochs=3'],
              env=user_env(NAN_AT='2'), check=False)  # 2 iterations an epoch: the first of epoch 2
    assert 'non-finite (NaN or inf) features reached' in log, log[-3000:]
    assert 'Epoch(train) [2][2/2]' not in log
    saved = sorted(name for name in os.listdir(work_dir) if name.endswith('.pth'))
    assert saved and all('epoch_1' in name for name in saved), saved  # epoch 1's, nothing after the NaN
    for name in saved:
        state = load_checkpoint_file(str(work_dir / name))['state_dict']
        assert all(torch.isfinite(v).all() for v in state.values() if v.is_floating_point())

"""tools/test.py's --show, --show-dir and --tta on mmpretrain, mmdet and mmseg configs: tiny runs
(random weights saved as a checkpoint, a few images of the semi-synthetic sets), and the clear
refusals where a config or machine cannot serve them."""
import importlib.util
import os.path as osp
import re

import pytest
import torch
from helpers import ROOT, run
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

DEMO = 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'
MASK_RCNN = 'configs/mask-rcnn_r50_ebv_coco.py'
UPERNET = 'configs/upernet/upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'
NO_WORKERS = ['test_dataloader.num_workers=0', 'test_dataloader.batch_size=1']


def load_test_py():
    spec = importlib.util.spec_from_file_location('mmebv_tools_test', osp.join(ROOT, 'tools', 'test.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def checkpoint_of(config: str, path: str) -> str:
    """The model of ``config`` with its initial weights, saved as a checkpoint."""
    cfg = Config.fromfile(osp.join(ROOT, config))
    init_default_scope(cfg.default_scope)
    cfg.model.get('backbone', {}).pop('init_cfg', None)  # nothing to download: random weights do
    cfg.model.pop('pretrained', None)
    torch.save(dict(meta=dict(epoch=0), state_dict=MODELS.build(cfg.model).state_dict()), path)
    return path


def test_show_without_a_display_is_refused_with_the_fix(monkeypatch):
    test_py = load_test_py()
    monkeypatch.delenv('DISPLAY', raising=False)
    monkeypatch.delenv('WAYLAND_DISPLAY', raising=False)
    monkeypatch.setattr(test_py.sys, 'platform', 'linux')
    cfg = Config.fromfile(osp.join(ROOT, DEMO))
    with pytest.raises(test_py.TestOptionError, match='no display here.*--show-dir DIR'):
        test_py.enable_visualization(cfg, True, None, 1, 2)


def test_each_host_gets_its_own_hook_settings(tmp_path):
    test_py = load_test_py()
    out = str(tmp_path / 'drawn')
    for config, expected in ((DEMO, dict(type='VisualizationHook', enable=True, out_dir=out)),
                             (MASK_RCNN, dict(type='DetVisualizationHook', draw=True, test_out_dir=out)),
                             (UPERNET, dict(type='SegVisualizationHook', draw=True))):
        cfg = Config.fromfile(osp.join(ROOT, config))
        test_py.enable_visualization(cfg, False, out, 3, 0.5)
        hook = cfg.default_hooks.visualization
        assert {k: hook[k] for k in expected} == expected and hook.interval == 3 and hook.show is False
    assert cfg.visualizer.save_dir == out  # mmseg draws through the visualizer's backends
    del cfg.default_hooks['visualization']
    with pytest.raises(test_py.TestOptionError, match="visualization=dict\\(type='SegVisualizationHook'\\)"):
        test_py.enable_visualization(cfg, False, out, 1, 2)


def test_tta_where_the_host_has_no_default_or_cannot_merge_is_refused():
    test_py = load_test_py()
    cfg = Config.fromfile(osp.join(ROOT, UPERNET))
    assert cfg.tta_model.type == 'SegTTAModel'  # mmseg's runtime and ADE20K bases bring their own
    cfg = Config({key: value for key, value in cfg.to_dict().items() if key != 'tta_model'})
    with pytest.raises(test_py.TestOptionError, match='--tta needs tta_model in the config'):
        test_py.enable_tta(cfg)
    with pytest.raises(test_py.TestOptionError, match='not instance masks.*without --tta'):
        test_py.enable_tta(Config.fromfile(osp.join(ROOT, MASK_RCNN)))


def test_tta_of_a_classification_config_is_mmpretrains_flip_default():
    test_py = load_test_py()
    cfg = Config.fromfile(osp.join(ROOT, DEMO))
    pack = cfg.test_dataloader.dataset.pipeline[-1]
    assert 'default' in test_py.enable_tta(cfg)
    assert cfg.model.type == 'mmpretrain.AverageClsScoreTTA' and cfg.model.module.head.type
    tta = cfg.test_dataloader.dataset.pipeline[-1]
    assert tta.type == 'TestTimeAug' and tta.transforms[1] == [pack]
    assert [t.prob for t in tta.transforms[0]] == [1.0, 0.0]


@pytest.mark.e2e
def test_show_dir_and_tta_on_the_demo(tmp_path):
    checkpoint = checkpoint_of(DEMO, str(tmp_path / 'demo.pth'))
    tiny = ['test_dataloader.dataset.indices=5', *NO_WORKERS]
    log = run(['tools/test.py', DEMO, checkpoint, '--work-dir', str(tmp_path / 'w'), '--show-dir',
               str(tmp_path / 'drawn'), '--cfg-options', *tiny])
    assert '--show-dir: 5 drawn predictions under' in log and re.search(r'accuracy/top1: \d', log)
    assert len(list((tmp_path / 'drawn').glob('*.png'))) == 5
    log = run(['tools/test.py', DEMO, checkpoint, '--work-dir', str(tmp_path / 'w'), '--tta', '--cfg-options', *tiny])
    assert "--tta: mmpretrain's default: mmpretrain.AverageClsScoreTTA" in log and re.search(r'accuracy/top1: \d', log)
    log = run(['tools/test.py', DEMO, checkpoint, '--tta', '--show-dir', str(tmp_path / 'x')], check=False)
    assert 'error: --tta with --show/--show-dir' in log and 'Traceback' not in log


@pytest.fixture(scope='module')
def semisynthetic(tmp_path_factory):
    """data/coco and data/ade/ADEChallengeData2016 with 1 validation image each, 160 px."""
    cwd = tmp_path_factory.mktemp('test_py')
    for kind, out in (('coco', 'data/coco'), ('ade20k', 'data/ade/ADEChallengeData2016')):
        run([osp.join(ROOT, 'tools/misc/make_semisynthetic_data.py'), kind, '--out', str(cwd / out), '--fashion-root',
             osp.join(ROOT, 'data/fashion_mnist'), '--train', '1', '--val', '1', '--size', '160'], cwd=str(cwd))
    return cwd


@pytest.mark.e2e
@pytest.mark.parametrize('config, metric', [(MASK_RCNN, r'coco/bbox_mAP: -?\d'), (UPERNET, r'mIoU: \d')])
def test_show_dir_on_detection_and_segmentation(semisynthetic, tmp_path, config, metric):
    checkpoint = checkpoint_of(config, str(tmp_path / 'model.pth'))
    log = run([osp.join(ROOT, 'tools/test.py'), osp.join(ROOT, config), checkpoint, '--work-dir', str(tmp_path / 'w'),
               '--show-dir', str(tmp_path / 'drawn'), '--cfg-options', *NO_WORKERS], cwd=str(semisynthetic))
    assert re.search(metric, log) and '--show-dir: 1 drawn predictions under' in log, log[-3000:]


@pytest.mark.e2e
def test_tta_of_a_segmentation_config_uses_its_own_tta_model(semisynthetic, tmp_path):
    checkpoint = checkpoint_of(UPERNET, str(tmp_path / 'model.pth'))
    log = run([osp.join(ROOT, 'tools/test.py'), osp.join(ROOT, UPERNET), checkpoint, '--work-dir', str(tmp_path / 'w'),
               '--tta', '--cfg-options', *NO_WORKERS], cwd=str(semisynthetic))
    assert '--tta: tta_model and tta_pipeline of the config' in log and re.search(r'mIoU: \d', log), log[-3000:]

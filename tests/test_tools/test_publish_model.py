"""publish_model.py output loads with safe loading, and an mmebv classification checkpoint drops into
the Mask R-CNN and UperNet backbones with no missing or unexpected key."""
import os.path as osp

import pytest
import torch
from helpers import ROOT, run
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from mmebv.utils.publishing import plain, publish

DOWNSTREAM = ['configs/mask_rcnn/mask-rcnn_r50-ebv-pre_ebv_1x_coco.py',
              'configs/mask_rcnn/mask-rcnn_r50-ebv-pre_fc_1x_coco.py',
              'configs/upernet/upernet_r50-ebv-pre_ebv_4xb4-160k_ade20k-512x512.py',
              'configs/upernet/upernet_r50-ebv-pre_fc_4xb4-160k_ade20k-512x512.py']


def build(path, **overrides):
    cfg = Config.fromfile(osp.join(ROOT, path))
    cfg.merge_from_dict(overrides)
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    return MODELS.build(cfg.model)


class Opaque:
    pass


def test_plain_keeps_plain_python_only():
    meta = dict(epoch=3, classes=('a', 'b'), nested=dict(ok=[1, 2.5, None], bad=Opaque()), obj=Opaque())
    assert plain(meta) == dict(epoch=3, classes=('a', 'b'), nested=dict(ok=[1, 2.5, None]))


def test_published_file_has_a_hash_name_and_loads_safely(tmp_path):
    state = {'w': torch.randn(3, 2)}
    final, sha256 = publish(dict(state_dict=state, meta=dict(epoch=1, hub=Opaque())), str(tmp_path / 'm.pth'))
    assert osp.basename(final) == f'm-{sha256[:8]}.pth'
    loaded = torch.load(final, weights_only=True)
    assert torch.equal(loaded['state_dict']['w'], state['w']) and loaded['meta'] == dict(epoch=1)
    with pytest.raises(ValueError, match='state_dict'):
        publish(dict(meta={}), str(tmp_path / 'x.pth'))


@pytest.fixture(scope='module')
def ebv_resnet50(tmp_path_factory):
    """A checkpoint of configs/ebv/resnet50_ebv_8xb32_in1k.py as the Runner writes it, published."""
    folder = tmp_path_factory.mktemp('pretrain')
    model = build('configs/ebv/resnet50_ebv_8xb32_in1k.py')
    raw = str(folder / 'epoch_100.pth')
    torch.save(dict(meta=dict(epoch=100, seed=0), state_dict=model.state_dict(), optimizer={}), raw)
    out = run(['tools/model_converters/publish_model.py', raw, str(folder / 'r50.pth')], timeout=300)
    published = out.split('published ')[1].split(' (sha256')[0]
    return published, torch.load(published, weights_only=True)['state_dict']


@pytest.mark.e2e
@pytest.mark.parametrize('config', DOWNSTREAM, ids=lambda p: osp.splitext(osp.basename(p))[0])
def test_classification_backbone_loads_into_downstream_backbones(ebv_resnet50, config):
    path, state = ebv_resnet50
    backbone_state = {k[len('backbone.'):]: v for k, v in state.items() if k.startswith('backbone.')}
    model = build(config, **{'model.backbone.init_cfg.checkpoint': path})
    expected = model.backbone.state_dict()
    assert sorted(set(expected) - set(backbone_state)) == []  # missing
    assert sorted(set(backbone_state) - set(expected)) == []  # unexpected
    model.init_weights()
    loaded = model.backbone.state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in backbone_state.items())

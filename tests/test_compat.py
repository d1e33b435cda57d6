"""Configs written for mmebv 0.1 still build (with a FutureWarning naming the new spelling), and
their checkpoints still load."""
import warnings

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

from mmebv.ebv import generate_ebv

OLD_CLS = dict(
    custom_imports=dict(imports=['mmebv.models', 'mmebv.datasets', 'mmebv.engine'], allow_failed_imports=False),
    model=dict(type='ImageClassifier', backbone=dict(type='SmallConvNet', in_channels=1),
               neck=None, head=dict(type='EBVClsHead', num_classes=10, in_channels=128, embed_dim=128,
                                    temperature=0.07, basis_seed=3, basis_method='auto')))


def build(cfg: dict, scope: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        config = Config(cfg)
        from mmengine.utils import import_modules_from_strings
        import_modules_from_strings(**config.get('custom_imports', dict(imports=[])))
        init_default_scope(scope)
        model = MODELS.build(config.model)
    return model, [str(w.message) for w in caught if issubclass(w.category, FutureWarning)]


def test_a_01_classification_config_builds_and_warns():
    model, said = build(OLD_CLS, 'mmpretrain')
    assert torch.equal(model.head.classifier.basis, generate_ebv(10, 128, seed=3))
    assert model.head.classifier.temperature == 0.07
    assert any("given flat are deprecated" in s for s in said)


def test_a_01_checkpoint_loads_into_the_01_and_the_new_config():
    old_model, _ = build(OLD_CLS, 'mmpretrain')
    # 0.1 wrote these keys (head.classifier.basis, .projection.*) but not the basis's origin
    state = {k: v for k, v in old_model.state_dict().items() if not k.endswith('basis_origin')}
    assert {'head.classifier.basis', 'head.classifier.projection.weight'} <= set(state)
    new = dict(OLD_CLS, custom_imports=dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False),
               model=dict(OLD_CLS['model'], head=dict(type='EBVClsHead', num_classes=10, in_channels=128,
                                                       classifier=dict(basis=dict(type='EBV', seed=3)))))
    new_model, said = build(new, 'mmpretrain')
    assert not said
    new_model.load_state_dict(state)
    x = torch.randn(2, 1, 28, 28)
    assert torch.equal(new_model.eval()(x), old_model.eval()(x))


@pytest.mark.parametrize('cfg,scope,spelling', [
    (dict(type='Shared2FCBBoxHead', in_channels=8, fc_out_channels=32, roi_feat_size=7, num_classes=80,
          cls_predictor_cfg=dict(type='EBVLinear', temperature=0.07, seed=2, method='auto')), 'mmdet', 'basis=dict'),
    (dict(type='EBVFCNMaskHead', num_convs=1, in_channels=8, conv_out_channels=8, num_classes=10,
          ebv_cfg=dict(embed_dim=16, seed=2)), 'mmdet', 'ebv_cfg is deprecated'),
    (dict(type='EBVFCNHead', in_channels=8, in_index=0, channels=16, num_convs=1, num_classes=7,
          ebv_cfg=dict(embed_dim=12, seed=2)), 'mmseg', 'ebv_cfg is deprecated'),
], ids=['EBVLinear', 'EBVFCNMaskHead', 'EBVFCNHead'])
def test_01_detection_and_segmentation_spellings_build_and_warn(cfg, scope, spelling):
    imports = ['mmebv.models.det'] if scope == 'mmdet' else ['mmebv.models.seg']
    model, said = build(dict(custom_imports=dict(imports=imports), model=cfg), scope)
    classifier = getattr(model, 'fc_cls', None) or getattr(model, 'conv_logits', None) or model.conv_seg
    assert torch.equal(classifier.basis, generate_ebv(classifier.num_classes, classifier.embed_dim, seed=2))
    assert any(spelling in s for s in said)


def test_01_positional_arguments_of_ebvclassifier_keep_their_meaning():
    from mmebv.models.layers import EBVClassifier, default_embed_dim
    with pytest.warns(FutureWarning, match='deprecated'):
        old = EBVClassifier(16, 10, 12, 0.07, True, None, 3, 'auto', 1, False)  # 0.1's order
    assert old.channel_dim == 1 and old.adopt_checkpoint_basis is False
    assert torch.equal(old.basis, generate_ebv(10, 12, seed=3))
    assert default_embed_dim(10) == 128 and default_embed_dim(300) == 300
    with pytest.raises(TypeError, match='both by position and by name'):
        EBVClassifier(16, 10, 12, 0.07, True, None, 3, seed=3)


def test_old_basis_arguments_inside_the_classifier_dict_warn_once():
    from mmebv.cls import FixedClsHead
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        FixedClsHead(num_classes=5, in_channels=8, classifier=dict(embed_dim=8, seed=1))
        FixedClsHead(num_classes=5, in_channels=8, basis_seed=1, embed_dim=8)
    said = [str(w.message) for w in caught if issubclass(w.category, FutureWarning)]
    assert len(said) == 2 and "basis=dict(type='EBV', seed=1)" in said[0] and 'given flat' in said[1]

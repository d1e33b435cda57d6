"""The EBV classifier where a linear or 1x1-conv classifier stands: mmdet's box and mask heads,
mmseg's decode heads."""
import os.path as osp

import pytest
import torch
from helpers import ROOT
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import mmebv.det  # noqa: F401
import mmebv.seg  # noqa: F401
from mmebv.classifiers import FixedClassifier
from mmebv.ebv import generate_ebv


def test_channel_dim_one_is_the_per_pixel_linear_classifier():
    dense = FixedClassifier(16, 5, embed_dim=8, channel_dim=1)
    flat = FixedClassifier(16, 5, embed_dim=8)
    flat.load_state_dict(dense.state_dict())
    x = torch.randn(2, 16, 3, 4)
    logits = dense(x)
    assert logits.shape == (2, 5, 3, 4)
    assert torch.allclose(logits, flat(x.permute(0, 2, 3, 1)).permute(0, 3, 1, 2), atol=1e-6)
    assert logits.abs().max() <= 1 / 0.07 + 1e-4


def test_zero_embedding_gives_zero_logits_and_non_finite_features_raise():
    classifier = FixedClassifier(4, 3, embed_dim=4, with_projection=False)
    assert torch.equal(classifier(torch.zeros(2, 4)), torch.zeros(2, 3))
    with pytest.raises(FloatingPointError, match='non-finite'):
        classifier(torch.tensor([[1.0, float('nan'), 0.0, 0.0]]))


def test_wrong_feature_size_names_the_fix():
    with pytest.raises(ValueError, match='in_channels'):
        FixedClassifier(16, 5, channel_dim=1)(torch.randn(1, 8, 2, 2))


def test_bbox_head_gets_one_fixed_vector_per_class_and_background():
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    head = MODELS.build(dict(type='Shared2FCBBoxHead', in_channels=8, fc_out_channels=32, roi_feat_size=7,
                             num_classes=80,
                             cls_predictor_cfg=dict(type='EBVLinear', classifier=dict(basis=dict(type='EBV', seed=3)))))
    head.init_weights()
    assert isinstance(head.fc_cls, FixedClassifier) and head.fc_cls.in_features == 32
    assert torch.equal(head.fc_cls.basis, generate_ebv(81, 128, seed=3))
    cls_score, bbox_pred = head(torch.randn(6, 8, 7, 7))
    assert cls_score.shape == (6, 81) and bbox_pred.shape == (6, 320)


def test_mask_head_logits_and_loss():
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    head = MODELS.build(dict(type='EBVFCNMaskHead', num_convs=1, in_channels=8, conv_out_channels=8,
                             num_classes=10, classifier=dict(embed_dim=16)))
    head.init_weights()  # FCNMaskHead re-initialises conv_logits when it has a weight: ours has none
    assert torch.equal(head.conv_logits.basis, generate_ebv(10, 16, seed=0))
    preds = head(torch.randn(3, 8, 14, 14))
    assert preds.shape == (3, 10, 28, 28)
    targets = (torch.rand(3, 28, 28) > 0.5).float()
    loss = head.loss_mask(preds, targets, torch.tensor([0, 4, 9]))
    assert torch.isfinite(loss) and loss > 0


@pytest.mark.parametrize('cfg', [
    dict(type='EBVUPerHead', in_channels=[8, 8, 8, 8], in_index=[0, 1, 2, 3], pool_scales=(1, 2),
         channels=16),
    dict(type='EBVFCNHead', in_channels=8, in_index=3, channels=16, num_convs=1),
    dict(type='EBVFPNHead', in_channels=[8, 8, 8, 8], in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
         channels=16),
], ids=lambda c: c['type'])
def test_decode_heads_classify_each_pixel_against_the_basis(cfg):
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    init_default_scope('mmseg')
    head = MODELS.build(dict(cfg, num_classes=7, classifier=dict(embed_dim=12, basis=dict(type='EBV', seed=2))))
    head.init_weights()  # mmseg's Normal init of conv_seg reaches the projection only
    assert torch.equal(head.conv_seg.basis, generate_ebv(7, 12, seed=2))
    feats = [torch.randn(2, 8, 32 // s, 32 // s) for s in (1, 2, 4, 8)]
    logits = head(feats)
    assert logits.shape[:2] == (2, 7) and logits.abs().max() <= 1 / 0.07 + 1e-3
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 7, (1, 32, 32)))
        sample.set_metainfo(dict(img_shape=(32, 32), pad_shape=(32, 32)))
        samples.append(sample)
    losses = head.loss(feats, samples, dict())
    assert torch.isfinite(losses['loss_ce']) and losses['loss_ce'] > 0
    losses['loss_ce'].backward()
    assert head.conv_seg.projection.weight.grad.abs().sum() > 0
    assert not any(p is head.conv_seg.basis for p in head.parameters())


def test_mixin_refuses_a_classifier_that_is_not_a_1x1_conv():
    import torch.nn as nn

    from mmebv.classifiers import DenseClassifierMixin

    class Host(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_seg = nn.Conv2d(4, 3, 3)

    class EBVHost(DenseClassifierMixin, Host):
        classifier_name = 'conv_seg'
        default_classifier = dict(type='Fixed')

    with pytest.raises(TypeError, match='1x1 Conv2d'):
        EBVHost()


@pytest.mark.parametrize('basis', ['SimplexETF', 'Hadamard', 'MaxSeparation'])
def test_every_fixed_geometry_is_one_config_line_in_detection_and_segmentation(basis):
    """The shipped EBV Mask R-CNN and UperNet configs with only the basis type (and its size) changed."""
    from mmengine.config import Config
    from mmengine.registry import MODELS
    det = Config.fromfile(osp.join(ROOT, 'configs/mask-rcnn_r50_ebv_coco.py'))
    det.merge_from_dict({'model.roi_head.bbox_head.cls_predictor_cfg.classifier.basis.type': basis,
                         # the geometry's own d
                         'model.roi_head.bbox_head.cls_predictor_cfg.classifier.embed_dim': None,
                         'model.roi_head.mask_head.classifier.basis.type': basis,
                         'model.roi_head.mask_head.classifier.embed_dim': None})
    init_default_scope('mmdet')
    roi_head = MODELS.build(det.model).roi_head
    for classifier, rows in ((roi_head.bbox_head.fc_cls, 81), (roi_head.mask_head.conv_logits, 80)):
        assert classifier.basis_meta['type'] == basis and classifier.basis.shape[0] == rows
    cls_score, _ = roi_head.bbox_head(torch.randn(2, 256, 7, 7))
    assert cls_score.shape == (2, 81)

    seg = Config.fromfile(osp.join(ROOT, 'configs/upernet/upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'))
    seg.merge_from_dict({'model.decode_head.classifier.basis.type': basis,
                         'model.auxiliary_head.classifier.basis.type': basis})
    init_default_scope('mmseg')
    head = MODELS.build(seg.model).decode_head
    assert head.conv_seg.basis_meta['type'] == basis and head.conv_seg.basis.shape[0] == 150
    feats = [torch.randn(2, c, 64 // s, 64 // s) for c, s in zip(head.in_channels, (4, 8, 16, 32))]
    assert head(feats).shape[:2] == (2, 150)

"""Every registered classifier layer on every host: mmpretrain's head (tests/test_cls/test_heads/
test_geometric_cls_head.py), mmdet's box classifier and mask head, mmseg's decode heads. Each builds from
``classifier=dict(type=...)``, gives logits of the host's shape, trains (a finite loss whose gradient
reaches the layer's trainable tensors) and adds its own loss terms where it has them. Heads and inputs live
on the ``device`` fixture (``MMEBV_TEST_DEVICE``, tests/conftest.py)."""
import os.path as osp

import pytest
import torch
from helpers import ROOT
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import mmebv.det  # noqa: F401
import mmebv.seg  # noqa: F401
from mmebv.classifiers import BASES, CLASSIFIERS, IGNORE, add_loss_terms

# one case per layer, and the fixed classifier once per basis; DML-CRC's linear term and the
# largest-margin regularisers on, where the host can add them
CASES = [dict(type=name) for name in sorted(CLASSIFIERS) if name != 'Fixed']
CASES += [dict(type='Fixed', basis=dict(type=basis)) for basis in sorted(BASES)]
WITH_TERMS = {'LargestMargin': dict(sample_margin_weight=1.0, zero_centroid_weight=1.0),
              'DMLCRC': dict(ce_weight=1.0)}
WITHOUT_TERMS = {'LargestMargin': dict(sample_margin_weight=0.0, zero_centroid_weight=0.0),
                 'DMLCRC': dict(ce_weight=0.0)}


def case_id(cfg):
    return cfg['type'] + (f"-{cfg['basis']['type']}" if 'basis' in cfg else '')


def trainable(layer):
    return [p for p in layer.parameters() if p.requires_grad]


def assert_trained(layer, loss):
    assert torch.isfinite(loss)
    loss.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in trainable(layer))
    assert any(p.grad.abs().sum() > 0 for p in trainable(layer))


@pytest.mark.parametrize('classifier', CASES, ids=case_id)
def test_box_classifier(classifier, device):
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    classifier = dict(classifier, **WITHOUT_TERMS.get(classifier['type'], {}))
    head = MODELS.build(dict(type='Shared2FCBBoxHead', in_channels=8, fc_out_channels=32, roi_feat_size=7,
                             num_classes=6, cls_predictor_cfg=dict(type='GeometricLinear', classifier=classifier)))
    head.init_weights()
    head.to(device)
    assert type(head.fc_cls) is CLASSIFIERS[classifier['type']] and head.fc_cls.num_classes == 7  # and background
    cls_score, bbox_pred = head(torch.randn(5, 8, 7, 7, device=device))
    assert cls_score.shape == (5, 7)
    labels = torch.tensor([0, 3, 5, 6, 6], device=device)  # 6: background
    losses = head.loss(cls_score, bbox_pred, torch.rand(5, 5, device=device), labels, torch.ones(5, device=device),
                       torch.randn(5, 4, device=device), torch.ones(5, 4, device=device))
    assert_trained(head.fc_cls, losses['loss_cls'])


@pytest.mark.parametrize('name', ['LargestMargin', 'DMLCRC'])
def test_box_classifier_refuses_terms_it_would_drop(name):
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    with pytest.raises(ValueError, match='set their weights to 0'):
        MODELS.build(dict(type='GeometricLinear', in_features=8, out_features=4,
                          classifier=dict(type=name, **WITH_TERMS[name])))


@pytest.mark.parametrize('classifier', CASES, ids=case_id)
def test_mask_head(classifier, device):
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    cfg = dict(type='GeometricFCNMaskHead', num_convs=1, in_channels=8, conv_out_channels=8, num_classes=5,
               classifier=classifier)
    if not CLASSIFIERS[classifier['type']].signed_logits:
        with pytest.raises(ValueError, match='logits have one sign only'):
            MODELS.build(cfg)
        return
    head = MODELS.build(cfg)
    head.init_weights()
    head.to(device)
    preds = head(torch.randn(3, 8, 7, 7, device=device))
    assert preds.shape == (3, 5, 14, 14)
    loss = head.loss_mask(preds, (torch.rand(3, 14, 14, device=device) > 0.5).float(),
                          torch.tensor([0, 2, 4], device=device))
    assert_trained(head.conv_logits, loss)


def seg_samples(num_classes, device, size=32):
    """Two SegDataSamples on ``device``, as mmengine's data preprocessor hands them over."""
    from mmseg.structures import SegDataSample
    samples = []
    for _ in range(2):
        sample = SegDataSample()
        labels = torch.randint(0, num_classes, (1, size, size))
        labels[0, :4] = 255  # ignored pixels
        sample.gt_sem_seg = PixelData(data=labels)
        sample.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size)))
        samples.append(sample.to(device))
    return samples


SEG_HEADS = [
    dict(type='GeometricUPerHead', in_channels=[8, 8, 8, 8], in_index=[0, 1, 2, 3], pool_scales=(1, 2), channels=16),
    dict(type='GeometricFCNHead', in_channels=8, in_index=3, channels=16, num_convs=1),
    dict(type='GeometricFPNHead', in_channels=[8, 8, 8, 8], in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
         channels=16),
]


@pytest.mark.parametrize('host', SEG_HEADS, ids=lambda c: c['type'])
@pytest.mark.parametrize('classifier', CASES, ids=case_id)
def test_decode_head(host, classifier, device):
    from mmseg.registry import MODELS
    init_default_scope('mmseg')
    classifier = dict(classifier, **WITH_TERMS.get(classifier['type'], {}))
    head = MODELS.build(dict(host, num_classes=5, classifier=classifier))
    head.init_weights()
    head.to(device)
    layer = head.conv_seg
    assert type(layer) is CLASSIFIERS[classifier['type']] and layer.channel_dim == 1
    feats = [torch.randn(2, 8, 32 // s, 32 // s, device=device) for s in (1, 2, 4, 8)]
    assert head(feats).shape[:2] == (2, 5)
    losses = head.loss(feats, seg_samples(5, device), dict())
    terms = {k for k in losses if k.startswith('loss') and k != 'loss_ce'}
    assert terms == ({'loss_sample_margin', 'loss_zero_centroid'} if classifier['type'] == 'LargestMargin' else
                     {'loss_linear_ce'} if classifier['type'] == 'DMLCRC' else set())
    assert_trained(layer, sum(v for k, v in losses.items() if k.startswith('loss')))


def test_loss_terms_ignore_unlabelled_pixels_and_never_replace_a_host_loss(device):
    from mmebv.classifiers import DMLCRCClassifier
    layer = DMLCRCClassifier(6, 3, channel_dim=1).to(device)
    x = torch.randn(2, 6, 4, 4, device=device)
    labels = torch.randint(0, 3, (2, 4, 4), device=device)
    ignored = labels.clone()
    ignored[0] = IGNORE
    linear = layer.fc(x.movedim(1, -1))
    expected = torch.nn.functional.cross_entropy(linear[1].reshape(-1, 3), labels[1].reshape(-1))
    torch.testing.assert_close(layer.loss_terms(x, ignored)['loss_linear_ce'], expected)
    with pytest.raises(KeyError, match="have the names of the host's own losses"):
        add_loss_terms(dict(loss_linear_ce=torch.tensor(0.0, device=device)), layer, x, labels)


def test_the_sample_margin_counts_labelled_pixels_only():
    from mmebv.classifiers import LargestMarginClassifier
    from mmebv.losses import sample_margin
    layer = LargestMarginClassifier(6, 3, sample_margin_weight=1.0, channel_dim=1)
    x = torch.randn(2, 6, 4, 4)
    labels = torch.randint(0, 3, (2, 4, 4))
    labels[0] = IGNORE
    cosines = layer.cosines(x[1].movedim(0, -1)).reshape(-1, 3)
    expected = sample_margin(cosines, labels[1].reshape(-1)).mean()
    torch.testing.assert_close(layer.loss_terms(x, labels)['loss_sample_margin'], expected)


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

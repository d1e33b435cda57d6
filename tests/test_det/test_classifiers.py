"""The EBV classifier where mmdet's linear box classifier and 1x1-conv mask classifier stand."""
import torch
from mmengine.registry import init_default_scope

import mmebv.det  # noqa: F401
from mmebv.classifiers import FixedClassifier
from mmebv.ebv import generate_ebv


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

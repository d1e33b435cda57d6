"""The largest-margin classifier layer (``LargestMargin``) in mmpretrain's head with LM-Softmax and its
regularisers."""
import os.path as osp

import pytest
import torch
from helpers import ROOT, samples
from mmengine.config import Config
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmebv.cls  # noqa: F401
from mmebv.losses import zero_centroid


def build_head(loss=dict(type='LMSoftmaxLoss', scale=64.0), **classifier):
    return MODELS.build(dict(type='GeometricClsHead', num_classes=5, in_channels=6, loss=loss,
                             classifier=dict(type='LargestMargin', **classifier)))


def test_head_returns_each_term_and_the_zero_centroid_reaches_the_total_loss():
    cfg = Config.fromfile(
        osp.join(ROOT, 'configs/largest_margin/smallconvnet_lmsoftmax-zc_1xb128-5e_fashion-mnist-lt100.py'))
    model = MODELS.build(cfg.model)
    images = torch.randn(8, 1, 28, 28)
    losses = model.loss(images, samples(torch.arange(8) % 10))
    assert set(losses) == {'loss', 'loss_sample_margin', 'loss_zero_centroid'}
    total, _ = model.parse_losses(losses)
    assert torch.allclose(total, sum(losses.values()))
    weight = model.head.classifier.weight
    assert torch.allclose(losses['loss_zero_centroid'], zero_centroid(weight))
    (grad, ) = torch.autograd.grad(total, weight, retain_graph=True)
    (without, ) = torch.autograd.grad(losses['loss'] + losses['loss_sample_margin'], weight)
    assert not torch.allclose(grad, without)  # the regulariser's gradient reaches the weights


def test_logits_are_scaled_cosines():
    head = build_head(scale=10.0, loss=dict(type='LMSoftmaxLoss', scale=10.0))
    logits = head((torch.randn(3, 6), ))
    assert logits.shape == (3, 5) and logits.abs().max() <= 10 + 1e-4


def test_soft_targets_and_inconsistent_scales_are_refused():
    head = build_head()
    soft = [DataSample().set_gt_score(torch.full((5, ), 0.2)) for _ in range(2)]
    with pytest.raises(ValueError, match='hard labels'):
        head.loss((torch.randn(2, 6), ), soft)
    with pytest.raises(ValueError, match="LMSoftmaxLoss's scale 64.0 differs from the classifier's scale 30.0"):
        build_head(scale=30.0, loss=dict(type='LMSoftmaxLoss', scale=64.0))
    with pytest.raises(ValueError, match=r'scale=-64 must be a finite number > 0'):
        build_head(scale=-64, loss=dict(type='LMSoftmaxLoss', scale=64.0))

"""The EBV classifier where mmseg's decode heads keep their 1x1-conv classifier (conv_seg)."""
import pytest
import torch
from mmengine.registry import init_default_scope
from mmengine.structures import PixelData

import mmebv.seg  # noqa: F401
from mmebv.ebv import generate_ebv


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

"""mmpretrain's ShardedClsHead: built from a config dict, its loss and predictions are the unsharded
head's (one process; several processes: tests/test_classifiers/test_sharded.py, the layer it wraps)."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmebv.cls  # noqa: F401
from mmebv.classifiers.indexed_bases import build_indexed_basis

BASIS = dict(type='ExtendedGold', seed=2)


def build(**kwargs):
    return MODELS.build(dict(type='ShardedClsHead', num_classes=40, in_channels=8,
                             classifier=dict(type='ShardedFixed', embed_dim=16, chunk=6, basis=BASIS), **kwargs))


def test_loss_and_predictions_are_the_unsharded_heads():
    head = build(label_smoothing=0.1, topk=(1, 5))
    feats = (torch.randn(4, 8, requires_grad=True), )
    labels = torch.tensor([0, 7, 39, 21])
    samples = [DataSample().set_gt_label(int(y)) for y in labels]
    embedding = F.normalize(head.classifier.projection(feats[-1]), dim=-1)
    logits = embedding @ build_indexed_basis(BASIS).build(40, 16).T / head.classifier.temperature
    expected = F.cross_entropy(logits, labels, label_smoothing=0.1)
    loss = head.loss(feats, samples)['loss']
    assert torch.allclose(loss, expected, atol=1e-5)
    assert torch.allclose(torch.autograd.grad(loss, feats[0])[0], torch.autograd.grad(expected, feats[0])[0],
                          atol=1e-6)
    predicted = head.predict(feats, samples)
    assert [int(s.pred_label) for s in predicted] == logits.argmax(1).tolist()
    assert torch.equal(torch.stack([s.pred_topk for s in predicted]), logits.topk(5).indices)


def test_refuses_a_loss_and_other_layers():
    with pytest.raises(TypeError, match='takes no loss'):
        build(loss=dict(type='CrossEntropyLoss'))
    with pytest.raises(TypeError, match='needs classifier=dict\\(type=\'ShardedFixed\''):
        MODELS.build(dict(type='ShardedClsHead', num_classes=4, in_channels=8, classifier=dict(type='Fixed')))

"""Cross-entropy computed chunk by chunk over the classes equals the unchunked one, value and gradient."""
import pytest
import torch
import torch.nn.functional as F
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

import mmebv.cls  # noqa: F401
from mmebv.losses import chunked_cross_entropy


@pytest.mark.parametrize('chunk', [1, 7, 64, 1000])
@pytest.mark.parametrize('smoothing', [0.0, 0.1])
def test_value_and_gradient_equal_the_unchunked_loss(chunk, smoothing):
    generator = torch.Generator().manual_seed(chunk)
    vectors = F.normalize(torch.randn(300, 16, generator=generator, dtype=torch.float64), dim=1)
    embedding = F.normalize(torch.randn(9, 16, generator=generator, dtype=torch.float64), dim=1)
    labels = torch.randint(0, 300, (9, ), generator=generator)
    weights = torch.rand(9, generator=generator, dtype=torch.float64)  # an upstream gradient that is not 1
    ours = embedding.clone().requires_grad_(True)
    loss = chunked_cross_entropy(ours, vectors, labels, scale=1 / 0.07, chunk=chunk, label_smoothing=smoothing)
    (loss * weights).sum().backward()
    reference = embedding.clone().requires_grad_(True)
    expected = F.cross_entropy(reference @ vectors.T / 0.07, labels, reduction='none', label_smoothing=smoothing)
    (expected * weights).sum().backward()
    assert torch.allclose(loss, expected, atol=1e-10)
    assert torch.allclose(ours.grad, reference.grad, atol=1e-10)


def test_a_half_precision_basis_gives_the_loss_of_its_widened_copy():
    vectors = F.normalize(torch.randn(500, 32), dim=1).to(torch.bfloat16)
    embedding = F.normalize(torch.randn(4, 32), dim=1)
    labels = torch.tensor([0, 10, 499, 3])
    loss = chunked_cross_entropy(embedding, vectors, labels, scale=10.0, chunk=128)
    expected = F.cross_entropy(embedding @ vectors.float().T * 10.0, labels, reduction='none')
    assert torch.allclose(loss, expected, atol=1e-5)


def test_the_head_trains_with_it_as_it_does_with_full_logits():
    cfg = dict(type='EBVClsHead', num_classes=300, in_channels=12, classifier=dict(embed_dim=300))
    chunked = MODELS.build(dict(cfg, loss=dict(type='ChunkedCrossEntropyLoss', chunk=50)))
    full = MODELS.build(cfg)
    full.load_state_dict(chunked.state_dict())
    x = torch.randn(8, 12)
    samples = [DataSample().set_gt_label(int(label)) for label in torch.randint(0, 300, (8, ))]
    a, b = chunked.loss((x, ), samples)['loss'], full.loss((x, ), samples)['loss']
    assert torch.allclose(a, b, atol=1e-5)
    a.backward()
    b.backward()
    assert torch.allclose(chunked.classifier.projection.weight.grad, full.classifier.projection.weight.grad, atol=1e-6)
    with pytest.raises(ValueError, match='hard labels'):
        chunked.loss((x, ), [DataSample().set_gt_score(torch.softmax(torch.randn(300), 0)) for _ in range(8)])
    with pytest.raises(ValueError, match='without learnable_scale and bias'):
        MODELS.build(dict(cfg, classifier=dict(embed_dim=300, bias=True), loss=dict(type='ChunkedCrossEntropyLoss')))

"""The FC baseline as a classifier layer: what nn.Linear / a 1x1 conv computes, and it can grow."""
import pytest
import torch
import torch.nn.functional as F

from mmebv.classifiers import build_classifier


@pytest.mark.parametrize('bias', [True, False])
def test_logits_are_an_affine_map(bias, device):
    layer = build_classifier(dict(type='Linear', bias=bias), 8, 5).to(device)
    with torch.no_grad():
        layer.weight.normal_()
        if bias:
            layer.bias.normal_()
    x = torch.randn(3, 8, device=device)
    assert torch.allclose(layer(x), x @ layer.weight.T + (layer.bias if bias else 0), atol=1e-5)
    dense = build_classifier(dict(type='Linear', bias=bias), 8, 5, channel_dim=1).to(device)
    dense.load_state_dict(layer.state_dict())
    maps = torch.randn(2, 8, 4, 4, device=device)
    expected = F.conv2d(maps, layer.weight[:, :, None, None], layer.bias if bias else None)
    assert torch.allclose(dense(maps), expected, atol=1e-5)


def test_starts_as_mmpretrains_linear_head():
    torch.manual_seed(0)
    layer = build_classifier(dict(type='Linear'), 256, 1000)
    assert abs(layer.weight.std().item() - 0.01) < 1e-3 and torch.equal(layer.bias, torch.zeros(1000))


def test_grown_rows_start_like_built_ones():
    layer = build_classifier(dict(type='Linear'), 256, 4)
    layer.grow(1004)
    assert layer.weight.shape == (1004, 256) and layer.bias.shape == (1004, )
    assert abs(layer.weight[4:].std().item() - 0.01) < 1e-3 and torch.equal(layer.bias[4:], torch.zeros(1000))


def test_bias_must_be_a_bool():
    with pytest.raises(ValueError, match='bias=1 must be True or False'):
        build_classifier(dict(type='Linear', bias=1), 8, 5)

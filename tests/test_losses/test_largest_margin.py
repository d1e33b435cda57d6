"""The largest-margin losses of :mod:`mmebv.losses.largest_margin`: LM-Softmax, the sample margin and
the zero-centroid regulariser."""
import math

import pytest
import torch

from mmebv.losses import lm_softmax, sample_margin, zero_centroid


def test_losses_match_hand_computed_values():
    logits = torch.tensor([[2.0, 1.0, 0.0], [0.0, 3.0, 1.0]])
    labels = torch.tensor([0, 2])
    expected = [0.5 * math.log(math.exp(-1) + math.exp(-2)), 0.5 * math.log(math.exp(-1) + math.exp(2))]
    assert torch.allclose(lm_softmax(logits, labels, scale=2.0), torch.tensor(expected))
    cosines = torch.tensor([[0.5, 0.2, 0.7], [0.9, -0.1, 0.3]])
    assert torch.allclose(sample_margin(cosines, torch.tensor([0, 0])), torch.tensor([0.2, -0.6]))
    assert zero_centroid(torch.tensor([[1.0, 0.0], [0.0, 2.0]])).item() == pytest.approx(2.0)
    assert zero_centroid(torch.tensor([[1.0, 0.0], [-3.0, 0.0]])).item() == pytest.approx(0.0)


@pytest.mark.parametrize('name', ['lm_softmax', 'sample_margin', 'zero_centroid'])
def test_each_loss_decreases_on_a_toy_problem(name):
    torch.manual_seed(0)
    weight = torch.randn(4, 8, requires_grad=True)
    x = torch.randn(32, 8)
    labels = torch.arange(32) % 4

    def value():
        cos = torch.nn.functional.normalize(x, dim=1) @ torch.nn.functional.normalize(weight, dim=1).T
        if name == 'lm_softmax':
            return lm_softmax(16 * cos, labels, 16).mean()
        if name == 'sample_margin':
            return sample_margin(cos, labels).mean()
        return zero_centroid(weight)

    optimizer = torch.optim.SGD([weight], lr=0.5)
    start = value().item()
    for _ in range(50):
        optimizer.zero_grad()
        value().backward()
        optimizer.step()
    assert value().item() < start - 0.05

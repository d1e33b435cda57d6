import math

import pytest
import torch

from mmebv.analysis import (class_margin, intra_class_variability, linear_probe, pairwise_class_angles,
                            sample_margins, welch_angle)
from mmebv.ebv import generate_ebv


def test_class_margin_of_vectors_and_subspaces():
    assert class_margin(generate_ebv(10, 128))['min_angle'] == pytest.approx(90.0, abs=1e-5)
    simplex = torch.tensor([[1.0, 0.0], [-0.5, math.sqrt(3) / 2], [-0.5, -math.sqrt(3) / 2]])
    assert pairwise_class_angles(simplex).tolist() == pytest.approx([120.0] * 3)
    a = torch.eye(4)[:2]  # span(e1, e2), as orthonormal rows
    theta = math.radians(30)
    b = torch.stack([torch.tensor([1.0, 0, 0, 0]), torch.tensor([0, math.cos(theta), math.sin(theta), 0])])
    assert class_margin(torch.stack([a, b]))['min_angle'] == pytest.approx(0.0, abs=1e-5)  # they share e1
    c = torch.eye(4)[2:]
    assert class_margin(torch.stack([a, c]))['min_angle'] == pytest.approx(90.0)
    assert welch_angle(10, 20) == 90.0 and welch_angle(4, 3) == pytest.approx(math.degrees(math.acos(1 / 3)))


def test_sample_margins_and_variability():
    scores = torch.tensor([[0.9, 0.1, 0.3], [0.2, 0.6, 0.7]])
    assert sample_margins(scores, torch.tensor([0, 1])).tolist() == pytest.approx([0.6, -0.1])
    means = torch.eye(3, 8) * 5
    labels = torch.arange(30) % 3
    collapsed = intra_class_variability(means[labels], labels)
    assert collapsed['within'] == pytest.approx(0.0, abs=1e-12) and collapsed['nc1'] == pytest.approx(0.0, abs=1e-9)
    noisy = intra_class_variability(means[labels] + torch.randn(30, 8), labels)
    assert noisy['within'] > 0.05 and noisy['nc1'] > 0


def test_linear_probe_separates_separable_features_only():
    torch.manual_seed(0)
    labels = torch.arange(200) % 4
    separable = torch.randn(200, 16) + 4 * torch.nn.functional.one_hot(labels, 16)
    assert linear_probe(separable[:100], labels[:100], separable[100:], labels[100:]) > 95
    noise = torch.randn(200, 16)
    assert linear_probe(noise[:100], labels[:100], noise[100:], labels[100:]) < 50

"""DML-CRC: ridge coding under a learned PSD metric, residual logits, collaborative loss."""
import pytest
import torch
import torch.nn.functional as F
from helpers import samples
from mmpretrain.registry import MODELS

import mmebv.cls  # noqa: F401


def build_head(num_classes=3, in_channels=5, **classifier):
    classifier = dict(dict(type='DMLCRC', metric_dim=4, atoms_per_class=2), **classifier)
    head = MODELS.build(dict(type='GeometricClsHead', num_classes=num_classes, in_channels=in_channels,
                             classifier=classifier))
    head.metric, head.atoms = head.classifier.metric, head.classifier.atoms
    head.residuals = lambda feats: head.classifier.coding(feats[-1])[0]
    return head


def test_residuals_match_a_direct_ridge_solution():
    head = build_head(ridge=0.3)
    x = torch.randn(6, 5)
    L, A = head.metric.detach(), head.atoms.detach()
    xt = F.normalize(x @ L.T, dim=1).double()
    At = F.normalize(A @ L.T, dim=1).double().T  # (r, Nm)
    codes = torch.linalg.solve(At.T @ At + 0.3 * torch.eye(6, dtype=torch.float64), At.T @ xt.T)  # (Nm, B)
    expected = torch.stack([(xt.T - At[:, 2 * c:2 * c + 2] @ codes[2 * c:2 * c + 2]).pow(2).sum(0)
                            for c in range(3)], dim=1)
    assert torch.allclose(head.residuals((x, )).double(), expected, atol=1e-5)
    assert torch.allclose(head((x, )), -16 * head.residuals((x, )))


def test_collinear_atoms_stay_finite():
    head = build_head()
    with torch.no_grad():
        head.atoms[1] = head.atoms[0]  # collinear atoms: the ridge keeps the solve well posed
    assert torch.isfinite(head((torch.randn(4, 5), ))).all()


def test_collaborative_loss_trains_metric_atoms_and_learns_a_toy_problem():
    torch.manual_seed(0)
    head = build_head(in_channels=8, metric_dim=8, num_classes=4)
    centers = torch.randn(4, 8) * 2
    labels = torch.arange(64) % 4
    x = centers[labels] + 0.3 * torch.randn(64, 8)
    optimizer = torch.optim.SGD(head.parameters(), lr=0.1, momentum=0.9)
    first = None
    for _ in range(100):
        optimizer.zero_grad()
        losses = head.loss((x, ), samples(labels))
        assert set(losses) == {'loss', 'loss_linear_ce'}
        total = sum(losses.values())
        total.backward()
        assert head.metric.grad.abs().sum() > 0 and head.atoms.grad.abs().sum() > 0
        optimizer.step()
        first = total.item() if first is None else first
    assert total.item() < 0.5 * first
    predictions = head.predict((x, ))
    accuracy = sum(int(p.pred_label) == int(y) for p, y in zip(predictions, labels)) / 64
    assert accuracy > 0.9


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match=r'ridge=0 must be a finite number > 0'):
        build_head(ridge=0)
    with pytest.raises(ValueError, match=r"atoms_per_class='4' must be an integer >= 1"):
        build_head(atoms_per_class='4')
    with pytest.raises(ValueError, match='set in_channels to 7'):
        build_head()((torch.randn(2, 7), ))


def test_the_crc_rule_divides_the_residual_by_the_class_codes_norm():
    head = build_head(ridge=0.3, decision='crc', scale=2.0)
    x = torch.randn(6, 5)
    L, A = head.metric.detach(), head.atoms.detach()
    xt = F.normalize(x @ L.T, dim=1).double()
    At = F.normalize(A @ L.T, dim=1).double().T
    codes = torch.linalg.solve(At.T @ At + 0.3 * torch.eye(6, dtype=torch.float64), At.T @ xt.T)
    expected = torch.stack([-2.0 * (xt.T - At[:, 2 * c:2 * c + 2] @ codes[2 * c:2 * c + 2]).norm(dim=0)
                            / codes[2 * c:2 * c + 2].norm(dim=0) for c in range(3)], dim=1)
    assert torch.allclose(head((x, )).double(), expected, atol=1e-5)
    with pytest.raises(ValueError, match="decision must be one of"):
        build_head(decision='sparse')


def test_a_low_rank_metric_starts_as_a_projection_that_uses_every_channel():
    head = build_head(in_channels=8, metric_dim=3)
    L = head.metric.detach()
    assert torch.allclose(L @ L.T, torch.eye(3), atol=1e-6)  # orthonormal rows
    assert (L.abs().sum(0) > 0).all()  # no channel left out, as a truncated identity would
    assert torch.equal(build_head(in_channels=5, metric_dim=5).metric.detach(), torch.eye(5))

"""The GCR classifier layer (``Grassmann``) in mmpretrain's head: its logits and what it refuses."""
import pytest
import torch
import torch.nn.functional as F
from helpers import grassmann_head, norms_one_class_at_a_time, ortho_error, samples, toy_problem

from mmebv.engine import RiemannianSGD


def test_logit_is_scaled_norm_of_the_projection():
    head = grassmann_head(scale=10.0)
    x = torch.randn(5, 16)
    logits = head((x, ))
    S = head.subspaces.detach().clone()
    expected = 10 * norms_one_class_at_a_time(F.normalize(x, dim=1), S)
    assert torch.allclose(logits, expected, atol=1e-5)
    assert logits.max() <= 10 + 1e-4 and logits.min() >= 0
    assert ortho_error(head.subspaces.detach()) < 1e-5
    head.init_weights()
    assert torch.equal(head.subspaces.detach(), S)


def test_subspaces_trained_off_the_manifold_are_refused():
    head = grassmann_head()
    optimizer = torch.optim.SGD(head.parameters(), lr=5.0)
    x, labels = toy_problem()
    with pytest.raises(RuntimeError, match='RiemannianSGD'):  # measured every 10 loss computations
        for _ in range(25):
            optimizer.zero_grad()
            head.loss((x, ), samples(labels))['loss'].backward()
            optimizer.step()


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match='subspace_dim=40 must be at most in_features=16'):
        grassmann_head(subspace_dim=40)
    with pytest.raises(ValueError, match=r'scale=0 must be a finite number > 0'):
        grassmann_head(scale=0)
    with pytest.raises(ValueError, match='retraction'):
        RiemannianSGD(grassmann_head().parameters(), lr=0.1, retraction='cayley')
    with pytest.raises(ValueError, match='set in_channels to 8'):
        grassmann_head()((torch.randn(2, 8), ))

"""The Grassmann manifold of :mod:`mmebv.grassmann.manifold`: tangent projection, retractions, the geodesic."""
import pytest
import torch
from helpers import ortho_error, reference_geodesic

from mmebv.grassmann import project_tangent, random_subspaces, retract, subspace_angles


@pytest.mark.parametrize('method', ['geodesic', 'qr', 'polar'])
def test_retractions_stay_on_the_manifold_and_move_by_the_tangent(method):
    S = random_subspaces(5, 20, 8, seed=1)
    H = project_tangent(S, 0.05 * torch.randn(5, 8, 20))
    assert (H @ S.transpose(-2, -1)).abs().max() < 1e-5  # tangent: H Wᵀ = 0
    T = retract(S, H, method)
    assert ortho_error(T) < 1e-5
    distance = subspace_angles(S, T).pow(2).sum(-1).sqrt()
    expected = torch.linalg.svdvals(H).pow(2).sum(-1).sqrt()
    rtol = 1e-3 if method == 'geodesic' else 5e-2  # the geodesic is exact, retractions first order
    assert torch.allclose(distance, expected, rtol=rtol, atol=1e-4)


def test_geodesic_step_equals_the_svd_form():
    W = random_subspaces(6, 30, 8, seed=2).double()
    H = project_tangent(W, 0.3 * torch.randn(6, 8, 30, dtype=torch.float64))
    expected = reference_geodesic(W.transpose(-2, -1), H.transpose(-2, -1)).transpose(-2, -1)
    assert torch.allclose(retract(W, H), expected, atol=1e-10)

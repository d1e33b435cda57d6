import pytest
import torch

from mmebv.analysis import cka_matrix, linear_cka


@pytest.mark.parametrize('debiased', [False, True])
def test_invariant_to_orthogonal_transforms_and_isotropic_scaling(debiased):
    torch.manual_seed(0)
    x = torch.randn(100, 20)
    q, _ = torch.linalg.qr(torch.randn(20, 20))
    assert linear_cka(x, 3.7 * x @ q, debiased) == pytest.approx(1.0, abs=1e-9)
    assert linear_cka(x, x + 5.0, debiased) == pytest.approx(1.0, abs=1e-9)  # centring removes shifts


@pytest.mark.parametrize('debiased', [False, True])
def test_not_invariant_to_anisotropic_scaling_and_low_for_unrelated_data(debiased):
    torch.manual_seed(0)
    x = torch.randn(200, 10)
    assert linear_cka(x, x * torch.tensor([10.0] + [0.1] * 9), debiased) < 0.9
    assert abs(linear_cka(x, torch.randn(200, 10), debiased)) < (0.1 if debiased else 0.2)


def test_a_network_with_itself_has_ones_on_the_diagonal():
    torch.manual_seed(0)
    layers = [torch.randn(50, 8), torch.randn(50, 4, 3), torch.randn(50, 16)]
    matrix = cka_matrix(layers, layers)
    assert torch.allclose(matrix.diagonal(), torch.ones(3, dtype=torch.float64))
    assert torch.allclose(matrix, matrix.T)
    assert matrix[0, 1] == pytest.approx(linear_cka(layers[0], layers[1]))
    with pytest.raises(ValueError, match='same examples'):
        linear_cka(torch.randn(5, 2), torch.randn(6, 2))

"""The fixed geometries: each family's defining inner products, its size rules, and the seam."""
import pytest
import torch

from mmebv.classifiers import BASES, BasisProvider, FixedClassifier, build_basis_provider, register_basis
from mmebv.classifiers.bases import max_separation_matrix
from mmebv.ebv.welch_frames import sylvester_hadamard
from mmebv.ebv import generate_ebv, save_basis


def gram(vectors):
    v = vectors.double()
    return v @ v.T


def off_diagonal(matrix):
    return matrix[~torch.eye(len(matrix), dtype=torch.bool)]


@pytest.mark.parametrize('num_classes,dim', [(2, 2), (10, 10), (10, 128), (81, 100), (1000, 1000)])
def test_simplex_etf_has_cosine_exactly_minus_one_over_n_minus_one(num_classes, dim):
    vectors = build_basis_provider(dict(type='SimplexETF', seed=3)).build(num_classes, dim)
    assert vectors.shape == (num_classes, dim)
    G = gram(vectors)
    assert torch.allclose(G.diagonal(), torch.ones(num_classes, dtype=G.dtype), atol=1e-6)
    assert torch.allclose(off_diagonal(G), torch.full_like(off_diagonal(G), -1 / (num_classes - 1)), atol=1e-6)
    assert vectors.double().sum(0).abs().max() < 1e-5  # the vectors balance: their sum is 0
    other = build_basis_provider(dict(type='SimplexETF', seed=4)).build(num_classes, dim)
    assert not torch.equal(vectors, other) or num_classes == dim == 2  # the seed rotates it


def test_max_separation_matrix_is_the_papers_recursion():
    P = torch.tensor([[1.0, -1.0]], dtype=torch.float64)  # P_1; P_k = [[1, -1ᵀ/k], [0, sqrt(1 - 1/k²) P_(k-1)]]
    for k in range(2, 6):
        top = torch.cat([torch.ones(1, 1), torch.full((1, k), -1.0 / k)], 1).double()
        bottom = torch.cat([torch.zeros(k - 1, 1, dtype=torch.float64), (1 - 1 / k**2)**0.5 * P], 1)
        P = torch.cat([top, bottom], 0)
    assert torch.allclose(max_separation_matrix(6), P, atol=1e-12)


@pytest.mark.parametrize('num_classes', [2, 3, 10, 150, 1000])
def test_max_separation_has_cosine_exactly_minus_one_over_n_minus_one(num_classes):
    P = max_separation_matrix(num_classes)
    assert P.shape == (num_classes - 1, num_classes)
    G = P.T @ P
    assert torch.allclose(G.diagonal(), torch.ones(num_classes, dtype=G.dtype), atol=1e-9)
    assert torch.allclose(off_diagonal(G), torch.full_like(off_diagonal(G), -1 / (num_classes - 1)), atol=1e-9)
    vectors = build_basis_provider(dict(type='MaxSeparation')).build(num_classes, num_classes + 3)
    assert torch.equal(vectors[:, num_classes - 1:], torch.zeros(num_classes, 4))  # zero-padded
    assert torch.allclose(gram(vectors), G, atol=1e-6)


@pytest.mark.parametrize('num_classes,dim', [(1, 1), (10, 16), (10, 128), (81, 128), (1000, 1024)])
def test_hadamard_rows_are_orthogonal_with_entries_one_over_sqrt_d(num_classes, dim):
    vectors = build_basis_provider(dict(type='Hadamard')).build(num_classes, dim)
    assert torch.allclose(gram(vectors), torch.eye(num_classes, dtype=torch.float64), atol=1e-6)
    assert torch.allclose(vectors.abs(), torch.full_like(vectors, dim**-0.5))
    H = torch.from_numpy(sylvester_hadamard(dim))
    assert torch.equal(H @ H.T, dim * torch.eye(dim, dtype=H.dtype))


def test_default_sizes_and_refusals_name_the_fix():
    assert FixedClassifier(8, 10, basis=dict(type='Hadamard')).embed_dim == 16
    assert FixedClassifier(8, 10, basis=dict(type='MaxSeparation')).embed_dim == 9
    assert FixedClassifier(8, 10, basis=dict(type='SimplexETF')).embed_dim == 10
    assert FixedClassifier(8, 10).embed_dim == 128  # EBV: max(N, 128)
    with pytest.raises(ValueError, match='embed_dim a power of 2 and >= 10'):
        FixedClassifier(8, 10, embed_dim=24, basis=dict(type='Hadamard'))
    with pytest.raises(ValueError, match=r'needs N >= 2 and embed_dim >= N.*MaxSeparation'):
        FixedClassifier(8, 10, embed_dim=9, basis=dict(type='SimplexETF'))
    with pytest.raises(ValueError, match='embed_dim >= N - 1 = 9'):
        FixedClassifier(8, 10, embed_dim=8, basis=dict(type='MaxSeparation'))
    with pytest.raises(KeyError, match=r"unknown basis type 'Simplex'.*registered are"):
        FixedClassifier(8, 10, basis=dict(type='Simplex'))
    with pytest.raises(TypeError, match=r"basis=dict\(type='Hadamard', \.\.\.\).*seed"):
        FixedClassifier(8, 10, basis=dict(type='Hadamard', seed=1))


def test_num_vectors_takes_the_first_rows_of_a_larger_basis():
    box = FixedClassifier(8, 81, embed_dim=81)
    mask = FixedClassifier(8, 80, embed_dim=81, basis=dict(type='EBV', num_vectors=81))
    assert torch.equal(mask.basis, box.basis[:80])
    with pytest.raises(ValueError, match='at most the basis\'s num_vectors=81'):
        FixedClassifier(8, 82, embed_dim=81, basis=dict(type='EBV', num_vectors=81))


@pytest.mark.parametrize('cfg', [dict(type='EBV', seed=2, cache=False), dict(type='EBV', file='FILE'),
                                 dict(type='SimplexETF', seed=1), dict(type='Hadamard'), dict(type='MaxSeparation')])
def test_what_a_provider_records_does_not_depend_on_building(cfg, tmp_path):
    # only rank 0 builds; every process records meta() in the classifier's basis_origin buffer
    if cfg.get('file'):
        cfg['file'] = str(tmp_path / 'basis.pth')
        save_basis(cfg['file'], generate_ebv(12, 16, seed=5), seed=5, method='structured')
    provider = build_basis_provider(cfg)
    before = provider.meta()
    provider.build(12, 16)
    assert provider.meta() == before


def test_a_new_geometry_is_a_provider_and_a_registration():

    @register_basis('Identity-test')
    class IdentityBasis(BasisProvider):

        def build(self, num_classes, dim):
            return torch.eye(num_classes, dim)

    try:
        classifier = FixedClassifier(4, 3, embed_dim=5, basis=dict(type='Identity-test'))
        assert torch.equal(classifier.basis, torch.eye(3, 5))
        assert classifier.basis_meta == dict(type='Identity-test')
    finally:
        BASES.pop('Identity-test')


def test_logit_options_of_the_three_papers():
    x = torch.randn(4, 6)
    plain = FixedClassifier(6, 3, basis=dict(type='MaxSeparation'), normalize=False, temperature=10.0)
    z = plain.projection(x)
    assert torch.allclose(plain(x), z @ plain.basis.T / 10, atol=1e-6)
    learned = FixedClassifier(6, 3, embed_dim=6, with_projection=False, basis=dict(type='EBV'),
                              learnable_scale=True, bias=True, temperature=0.5)
    with torch.no_grad():
        learned.bias.copy_(torch.tensor([1.0, 2.0, 3.0]))
    cosines = torch.nn.functional.normalize(x, dim=1) @ learned.basis.T
    assert torch.allclose(learned(x), 2.0 * cosines + torch.tensor([1.0, 2.0, 3.0]), atol=1e-6)
    assert {n for n, _ in learned.named_parameters()} == {'logit_scale', 'bias'}

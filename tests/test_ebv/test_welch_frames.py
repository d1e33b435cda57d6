"""The exact equiangular tight frames: unit vectors, tight, every |cos| at the Welch bound."""
import numpy as np
import pytest
import torch

from mmebv.ebv import coherence, generate_ebv, welch_bound
from mmebv.ebv.welch_frames import catalogue, etf_vectors, gram_factor, hadamard

SIZES = sorted({(etf.kind, etf.param, dim) for etf in catalogue(1100) for dim in etf.dims
                if etf.kind != 'paley' or etf.param in (5, 13, 61, 997)})


@pytest.mark.parametrize('kind,param,dim', SIZES)
def test_every_frame_is_an_equiangular_tight_frame(kind, param, dim):
    vectors = etf_vectors(kind, param, dim)
    num = vectors.shape[0]
    gram = vectors @ vectors.T
    mu = welch_bound(num, dim)
    assert torch.allclose(gram.diagonal(), torch.ones(num, dtype=gram.dtype), atol=1e-12)
    off = gram[~torch.eye(num, dtype=torch.bool)].abs()
    assert torch.allclose(off, torch.full_like(off, mu), atol=1e-9)  # equiangular, at the Welch bound
    frame = vectors.T @ vectors
    assert torch.allclose(frame, num / dim * torch.eye(dim, dtype=frame.dtype), atol=1e-9)  # tight


def test_the_catalogue_holds_the_known_sizes_and_not_the_impossible_ones():
    sizes = {(etf.num, dim) for etf in catalogue() for dim in etf.dims}
    for known in [(16, 6), (16, 10), (28, 7), (28, 21), (36, 15), (36, 21), (64, 28), (120, 35), (144, 66),
                  (256, 120), (400, 190), (496, 155), (1024, 496), (1024, 528), (4096, 2016), (62, 31)]:
        assert known in sizes
    # no ETF of 76 lines in R^19 or 96 in R^20 exists (W.-H. Yu, arXiv 1511.08569)
    assert (76, 19) not in sizes and (96, 20) not in sizes


@pytest.mark.parametrize('order', [1, 2, 4, 8, 12, 20, 24, 28, 36, 44, 60])
def test_hadamard_matrices(order):
    had = hadamard(order)
    assert set(np.unique(had)) <= {-1.0, 1.0}
    assert np.array_equal(had @ had.T, order * np.eye(order))


def test_no_hadamard_matrix_is_claimed_where_none_is_built():
    assert hadamard(6) is None and hadamard(92) is None  # 6 is not 0 mod 4; 92 has no construction here


def test_gram_factor_refuses_what_is_not_a_gram_matrix_of_that_rank():
    x = torch.randn(6, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    assert torch.allclose(gram_factor(x @ x.T, 3) @ gram_factor(x @ x.T, 3).T, x @ x.T, atol=1e-12)
    with pytest.raises(ValueError, match='rank 2'):
        gram_factor(x @ x.T, 2)
    with pytest.raises(ValueError, match='not positive semidefinite'):
        gram_factor(-(x @ x.T), 3)


@pytest.mark.parametrize('num,dim', [(16, 6), (28, 21), (36, 15), (120, 35), (144, 66), (256, 136)])
def test_generation_at_a_known_etf_size_is_at_the_welch_bound(num, dim):
    info = {}
    basis = generate_ebv(num, dim, seed=1, info=info)
    assert info['stopped'] == 'exact' and info['evaluations'] == 0
    assert coherence(basis)['max'] == pytest.approx(welch_bound(num, dim), rel=1e-5)
    assert not torch.equal(basis, generate_ebv(num, dim, seed=2))  # the seed rotates and permutes it

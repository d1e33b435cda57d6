import numpy as np
import pytest
import torch

from mmebv.ebv import coherence
from mmebv.ebv.structured import best_family, families


def member(name, param):
    return next(f for f in families(4096) if (f.name, f.param) == (name, param))


@pytest.mark.parametrize('name,param,num', [('paley', 13, 14), ('paley', 29, 30), ('paley', 101, 102),
                                            ('kerdock', 3, 144), ('kerdock', 5, 1500), ('gold', 3, 63),
                                            ('gold', 5, 1023), ('gold', 7, 2000), ('extended-gold', 5, 1023),
                                            ('extended-gold', 7, 2000), ('kronecker', 3, 64),
                                            ('steiner-pairs', 12, 144), ('steiner-pg', 4, 120), ('latin', 6, 36)])
def test_families_keep_their_promised_coherence(name, param, num):
    family = member(name, param)
    vectors = family.build(num, np.random.default_rng(0))
    assert vectors.shape == (num, family.dim)
    assert torch.allclose(vectors.norm(dim=1), torch.ones(num, dtype=vectors.dtype), atol=1e-12)
    assert coherence(vectors)['max'] == pytest.approx(family.coherence, abs=1e-9)


def test_full_kerdock_set_is_mutually_unbiased_bases():
    family = member('kerdock', 3)  # d = 16: 9 orthonormal bases of 16 vectors
    assert family.capacity == (16 // 2 + 1) * 16
    vectors = family.build(family.capacity, np.random.default_rng(0))
    gram = (vectors @ vectors.T).abs()
    values = set(np.round(gram.flatten().numpy(), 9).tolist())
    assert values == {0.0, 0.25, 1.0}


def test_paley_frame_is_tight_and_at_the_welch_bound():
    family = member('paley', 37)  # 38 vectors in 19 dims
    vectors = family.build(38, np.random.default_rng(0))
    frame_operator = vectors.T @ vectors
    assert torch.allclose(frame_operator, 2 * torch.eye(19, dtype=vectors.dtype), atol=1e-9)


def test_best_family_picks_the_least_coherent_that_fits():
    assert best_family(1000, 512).name == 'paley' and best_family(1000, 512).param == 1021
    assert best_family(100000, 1024).name == 'kerdock'
    assert best_family(100000, 512).name == 'extended-gold'  # 1/16: the Gold sequences, one entry longer
    assert best_family(10000, 512).dim == 512  # of equally coherent ones, the one filling all dims
    assert (best_family(28, 21).name, best_family(28, 21).dim) == ('steiner-pg', 21)  # a Naimark complement
    assert best_family(10**7, 64) is None

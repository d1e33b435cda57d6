import pytest
import torch
import torch.nn.functional as F

import mmebv.ebv.refine as refine_module
from mmebv.ebv import coherence
from mmebv.ebv.refine import pnorm_objective, refine, stage_budgets


def direct(x, power):
    unit = F.normalize(x, dim=1)
    cos = (unit @ unit.T).abs()
    off = cos[~torch.eye(len(x), dtype=torch.bool)]
    return off.pow(power).sum().pow(1 / power)


@pytest.mark.parametrize('power', [2.0, 16.0, 256.0])
@pytest.mark.parametrize('scale', [0.3, 0.7])  # below and above the largest |cos|
def test_blockwise_objective_and_gradient_equal_the_direct_ones(power, scale, monkeypatch):
    x = torch.randn(23, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected_x = x.clone().requires_grad_(True)
    expected = direct(expected_x, power)
    expected.backward()
    for rows in (23, 5, 1):  # one block, uneven blocks, single rows
        monkeypatch.setattr(refine_module, 'block_rows', lambda num, rows=rows: rows)
        got_x = x.clone().requires_grad_(True)
        value, top = pnorm_objective(got_x, power, scale=scale)
        assert top == pytest.approx(coherence(x)['max'], rel=1e-6)
        assert value.item() == pytest.approx(expected.item(), rel=1e-9)
        assert torch.allclose(got_x.grad, expected_x.grad, rtol=1e-7, atol=1e-12)


def start():
    return F.normalize(torch.randn(40, 8, generator=torch.Generator().manual_seed(1)), dim=1)


def test_refine_lowers_the_coherence_never_returns_worse_and_stops_at_target():
    before = coherence(start())['max']
    seen, info = [], {}
    out = refine(start(), powers=(4, 16, 64), budget=60, callback=seen.append, info=info)
    assert coherence(out)['max'] < 0.6 * before
    assert [s['evaluations'] for s in seen] == list(range(61))  # a report at the start and per evaluation
    assert info == dict(stopped='budget', evaluations=60, stage=3, budget=60, improved=True)
    stopped = {}
    refine(start(), powers=(4, 16, 64), budget=60, target=1.0, info=stopped)
    assert stopped['stopped'] == 'target' and stopped['evaluations'] == 0


@pytest.mark.parametrize('budget', range(5, 65, 4))
def test_the_budget_is_counted_exactly_in_evaluations(budget, monkeypatch):
    calls = []
    original = refine_module.pnorm_objective
    monkeypatch.setattr(refine_module, 'pnorm_objective', lambda *a: calls.append(a[1]) or original(*a))
    info = {}
    refine(start(), powers=(4, 16, 64), budget=budget, info=info)
    assert len(calls) == info['evaluations'] == budget  # line-search trials included
    shares = stage_budgets(budget, 3)
    assert [calls.count(p) for p in (4, 16, 64)] == shares and sum(shares) == budget


def test_the_same_budget_gives_the_same_vectors():
    assert torch.equal(refine(start(), (4, 16), budget=40), refine(start(), (4, 16), budget=40))


def test_a_time_limit_is_checked_inside_a_stage_and_recorded(monkeypatch):
    clock = iter(range(0, 10**6, 1))  # one second per reading
    monkeypatch.setattr(refine_module.time, 'perf_counter', lambda: float(next(clock)))
    info = {}
    refine(start(), powers=(4, ), budget=1000, time_limit=5.5, info=info)
    assert info['stopped'] == 'time_limit' and info['stage'] == 1
    assert 0 < info['evaluations'] < 10  # well inside the single stage of 1000 evaluations


def test_refine_never_returns_rows_worse_than_keep():
    """A start that is a perturbed copy of better rows (as generate_ebv's tilted algebraic starts are):
    3 evaluations leave it worse than those rows, which are then returned."""
    good = start()
    tilted = F.normalize(good + 0.3 * torch.randn(40, 8, generator=torch.Generator().manual_seed(2)), dim=1)
    alone = refine(tilted, powers=(4, ), budget=3)
    assert coherence(alone)['max'] > coherence(good)['max'] + 0.01  # the case that needs keep
    info = {}
    out = refine(tilted, powers=(4, ), budget=3, keep=good, info=info)
    assert torch.allclose(out, good, atol=1e-6, rtol=0) and info['improved'] is False
    out = refine(tilted, powers=(4, 16, 64), budget=60, keep=good, info=info)  # enough to beat it
    assert coherence(out)['max'] < coherence(good)['max'] and info['improved'] is True
    with pytest.raises(ValueError, match='same shape'):
        refine(tilted, powers=(4, ), budget=3, keep=good[:5])


def test_a_refinement_that_stops_moving_says_converged_not_budget():
    """Three lines at 60 degrees in the plane are optimal: every stage's L-BFGS stops at once."""
    angles = torch.tensor([0.0, 1.0, 2.0]) * torch.pi / 3
    mercedes = torch.stack([angles.cos(), angles.sin()], dim=1)
    info = {}
    refine(mercedes, powers=(4, 16), budget=100, info=info)
    assert info['stopped'] == 'converged' and info['evaluations'] < 100 and info['stage'] == 2

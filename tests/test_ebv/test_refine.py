import pytest
import torch
import torch.nn.functional as F

import mmebv.ebv.refine as refine_module
from mmebv.ebv import coherence
from mmebv.ebv.refine import pnorm_objective, refine


def direct(x, power):
    unit = F.normalize(x, dim=1)
    cos = (unit @ unit.T).abs()
    off = cos[~torch.eye(len(x), dtype=torch.bool)]
    return off.pow(power).sum().pow(1 / power)


@pytest.mark.parametrize('power', [2.0, 16.0, 256.0])
def test_blockwise_objective_and_gradient_equal_the_direct_ones(power, monkeypatch):
    x = torch.randn(23, 6, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    expected_x = x.clone().requires_grad_(True)
    expected = direct(expected_x, power)
    expected.backward()
    for rows in (23, 5, 1):  # one block, uneven blocks, single rows
        monkeypatch.setattr(refine_module, 'block_rows', lambda num, rows=rows: rows)
        got_x = x.clone().requires_grad_(True)
        value, top = pnorm_objective(got_x, power, scale=0.7)
        assert top == pytest.approx(coherence(x)['max'], rel=1e-6)
        assert value.item() == pytest.approx(expected.item(), rel=1e-9)
        assert torch.allclose(got_x.grad, expected_x.grad, rtol=1e-7, atol=1e-12)


def test_refine_never_returns_worse_than_its_start_and_stops_at_target():
    start = F.normalize(torch.randn(40, 8, generator=torch.Generator().manual_seed(1)), dim=1)
    before = coherence(start)['max']
    seen = []
    out = refine(start, powers=(4, 16, 64), iters_per_power=30, callback=seen.append)
    assert coherence(out)['max'] <= before + 1e-6  # float32 evaluation inside
    assert [info['stage'] for info in seen] == [0, 1, 2, 3]
    stopped = []
    refine(start, powers=(4, 16, 64), iters_per_power=30, target=1.0, callback=stopped.append)
    assert [info['stage'] for info in stopped] == [0]

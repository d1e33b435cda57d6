import re

import pytest
import torch
from helpers import run as run_tool

from mmebv.ebv import describe, generate_ebv, load_basis
from mmebv.ebv.io import FORMAT

pytestmark = pytest.mark.e2e


def run(*args, check=True):
    return run_tool(['tools/misc/generate_ebv.py', *args], timeout=300, check=check)


def test_1000_classes_in_1000_dims_is_orthonormal(tmp_path):
    out_file = str(tmp_path / 'ebv_1000x1000.pth')
    out = run('1000', '1000', '--out', out_file)
    assert float(re.search(r'max \|cos\|\s+(\S+)', out).group(1)) < 1e-6
    assert 'Welch bound' in out
    basis, meta = load_basis(out_file, num_classes=1000, dim=1000)
    assert torch.equal(basis, generate_ebv(1000, 1000))


def test_more_classes_than_dims_reports_the_ratio_and_records_where_it_stopped(tmp_path):
    out_file = str(tmp_path / 'ebv_60x12.pth')
    out = run('60', '12', '--quiet', '--budget', '200', '--out', out_file)
    ratio = float(re.search(r'\(([\d.]+) x Welch\)', out).group(1))
    assert 1.0 <= ratio < 1.4
    assert '200 of 200 evaluations, stopped: budget' in out
    basis, meta = load_basis(out_file)
    assert meta['budget'] == 200 and meta['generation']['stopped'] == 'budget'
    assert torch.equal(basis, generate_ebv(60, 12, budget=200))  # the same work gives the same basis


def test_plot_draws_the_angle_histogram(tmp_path):
    png = tmp_path / 'angles.png'
    out = run('40', '10', '--quiet', '--budget', '50', '--plot', str(png))
    assert 'peak memory' in out and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_an_existing_file_is_kept_unless_forced(tmp_path):
    out_file = tmp_path / 'ebv.pth'
    out_file.write_bytes(b'precious')
    out = run('12', '16', '--out', str(out_file), check=False)
    assert '--out' in out and 'exists; nothing was generated. Add --force' in out
    assert out_file.read_bytes() == b'precious'
    run('12', '16', '--out', str(out_file), '--force')
    assert torch.equal(load_basis(str(out_file))[0], generate_ebv(12, 16))


def test_an_unwritable_out_is_refused_before_generating(tmp_path):
    blocker = tmp_path / 'a_file'
    blocker.write_text('')
    out = run('3000', '64', '--out', str(blocker / 'ebv.pth'), check=False)
    assert 'is not writable' in out and 'nothing was generated' in out
    assert 'evaluations' not in out  # refused before any generation started


def test_a_size_that_cannot_fit_in_memory_is_refused_with_the_estimate():
    out = run('1000000000', '65536', '--budget', '0', check=False)  # about 1.4 PiB
    needs = re.search(r'1000000000 x 65536 with a budget of 0 evaluations needs about ([\d.]+) GiB, but '
                      r'([\d.]+) GiB', out)
    assert needs and float(needs.group(1)) > float(needs.group(2)) and 'nothing was generated' in out
    assert '--budget 0' not in out.split('nothing was generated')[1]  # already 0: not a fix to offer


def test_check_describes_a_good_file_and_fails_a_bad_one(tmp_path):
    good = str(tmp_path / 'good.pth')
    run('62', '31', '--out', good, '--quiet')
    out = run('--check', good)
    assert 'N=62 d=31 seed=0 method=auto' in out and '(1.000 x Welch)' in out  # the Paley frame of q = 61
    assert '[ok] checksum' in out and '[ok] distinct lines' in out and 'valid: usable' in out
    bad = generate_ebv(12, 16).clone()
    bad[7] = bad[2]
    torch.save(dict(basis=bad, meta=dict(describe(bad), format=FORMAT)), tmp_path / 'bad.pth')
    out = run('--check', str(tmp_path / 'bad.pth'), check=False)
    assert '[FAILED] distinct lines: rows 2 and 7 span the same line' in out and 'INVALID' in out
    (tmp_path / 'empty.pth').write_bytes(b'')
    assert '[FAILED] readable: empty (0 bytes)' in run('--check', str(tmp_path / 'empty.pth'), check=False)


def test_benchmark_prints_its_table_and_targets():
    out = run_tool(['tools/analysis_tools/benchmark_ebv_generation.py', '--pairs', '62x31,40x8,28x21',
                    '--paper-cap', '2'], timeout=300)
    lines = [line for line in out.splitlines() if line.startswith('| 62 | 31 |')]
    assert len(lines) == 1 and '(1.000)' in lines[0]  # the Paley frame of q = 61 meets the Welch bound
    assert '[met] 62x31: 1.000 x Welch <= 1.05' in out
    assert '[met] 28x21 (a real ETF exists): 1.000 x Welch <= 1.01' in out  # a Naimark complement, built exactly
    assert '| 40 | 8 |' in out and 'load average' in out


def load_tool():
    import importlib.util
    import os.path as osp

    from helpers import ROOT
    spec = importlib.util.spec_from_file_location('generate_ebv_tool', osp.join(ROOT, 'tools/misc/generate_ebv.py'))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_coherence_over_all_pairs_shows_its_progress_and_the_estimate_names_each_phase(monkeypatch, capsys):
    """At 100000 x 512 the coherence over all pairs takes minutes after the estimate: it shows rows
    done and time left (here every block: 5000 rows go in two blocks of at most 2^24 cosines)."""
    tool = load_tool()
    monkeypatch.setattr(tool, 'PROGRESS_SECONDS', 0.0)
    monkeypatch.setattr(tool, 'LARGE_WORK', 1e7)  # the estimate, as for a large size
    assert tool.main(['5000', '64', '--budget', '0']) == 0
    err = capsys.readouterr()[1]
    assert re.search(r'coherence over all pairs: 3355/5000 rows \(67%\), \d+ s, about \d+ s left', err), err
    assert re.search(r'coherence over all pairs: done in \d+ s', err)
    assert tool.main(['600', '64', '--budget', '100', '--time-limit', '0']) == 0
    printed = capsys.readouterr()[0]
    assert re.search(r'at most \d+ s refining \(100 evaluations; a stage ends early', printed), printed
    assert re.search(r'about \d+ s measuring the coherence over all pairs', printed)


def test_a_refinement_that_stops_improving_says_so_and_keeps_the_start():
    out = run('60', '31', '--budget', '100')  # Paley(61): every stage stops within 44 evaluations
    assert re.search(r'\d+ of 100 evaluations, stopped: converged \(no evaluated point beat the start', out), out
    assert 'every stage stopped improving before its share' in out


def test_extend_keeps_the_old_rows_and_reports_the_coherence_against_a_fresh_basis(tmp_path):
    old_file, new_file = str(tmp_path / 'ebv_20x12.pth'), str(tmp_path / 'ebv_30x12.pth')
    run('20', '12', '--quiet', '--budget', '100', '--out', old_file)
    out = run('30', '12', '--extend', old_file, '--out', new_file, '--quiet', '--budget', '150')
    old, _ = load_basis(old_file)
    new, meta = load_basis(new_file, num_classes=30, dim=12)
    assert torch.equal(new[:20], old)
    assert meta['extends']['num_classes'] == 20 and meta['method'] == 'extend'
    extended = float(re.search(r'max \|cos\|\s+(\S+)\s+\(([\d.]+) x Welch\)\s+extended', out).group(1))
    fresh = float(re.search(r'max \|cos\|\s+(\S+)\s+\(([\d.]+) x Welch\)\s+fresh 30 x 12', out).group(1))
    welch = float(re.search(r'Welch bound (\S+)', out).group(1))
    assert extended == pytest.approx(meta['coherence_max'], rel=1e-3)
    assert fresh == pytest.approx(describe(generate_ebv(30, 12, budget=150))['coherence_max'], rel=1e-3)
    assert welch <= fresh and welch <= extended
    assert 'rows 0..19 bit-identical' in out
    check = run('--check', new_file)
    assert '[ok] extends: rows :20 are the basis it extends' in check


def test_extend_refuses_another_dim_a_file_that_is_not_a_basis_and_too_few_vectors(tmp_path):
    old_file = str(tmp_path / 'ebv_8x16.pth')
    run('8', '16', '--quiet', '--out', old_file)
    out = run('12', '20', '--extend', old_file, '--quiet', check=False)
    assert 'holds vectors of d=16, but DIM=20 was given' in out and 'give DIM=16' in out
    out = run('8', '16', '--extend', old_file, '--quiet', check=False)
    assert 'already holds 8 vectors: NUM_CLASSES=8 must be more' in out
    not_a_basis = tmp_path / 'weights.pth'
    torch.save({'state_dict': {'w': torch.ones(2)}}, str(not_a_basis))
    out = run('12', '16', '--extend', str(not_a_basis), '--quiet', check=False)
    assert 'is not an mmebv basis file' in out
    out = run('12', '16', '--extend', str(tmp_path / 'missing.pth'), '--quiet', check=False)
    assert 'does not exist' in out

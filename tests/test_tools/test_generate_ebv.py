import re

import pytest
import torch
from helpers import run as run_tool

from mmebv.ebv import generate_ebv, load_basis

pytestmark = pytest.mark.e2e


def run(*args):
    return run_tool(['tools/misc/generate_ebv.py', *args], timeout=300)


def test_1000_classes_in_1000_dims_is_orthonormal(tmp_path):
    out_file = str(tmp_path / 'ebv_1000x1000.pth')
    out = run('1000', '1000', '--out', out_file)
    assert float(re.search(r'max \|cos\|\s+(\S+)', out).group(1)) < 1e-6
    assert 'Welch bound' in out
    basis, meta = load_basis(out_file, num_classes=1000, dim=1000)
    assert torch.equal(basis, generate_ebv(1000, 1000))


def test_more_classes_than_dims_reports_the_ratio_to_welch():
    out = run('60', '12', '--quiet', '--steps', '200')
    ratio = float(re.search(r'\(([\d.]+) x Welch\)', out).group(1))
    assert 1.0 <= ratio < 1.4


def test_plot_draws_the_angle_histogram(tmp_path):
    png = tmp_path / 'angles.png'
    out = run('40', '10', '--quiet', '--steps', '50', '--plot', str(png))
    assert 'peak memory' in out and png.stat().st_size > 1000
    assert png.read_bytes()[:8] == b'\x89PNG\r\n\x1a\n'


def test_benchmark_prints_its_table_and_targets():
    out = run_tool(['tools/analysis_tools/benchmark_ebv_generation.py', '--pairs', '62x31,40x8', '--paper-cap', '2'],
                   timeout=300)
    lines = [line for line in out.splitlines() if line.startswith('| 62 | 31 |')]
    assert len(lines) == 1 and '(1.000)' in lines[0]  # the Paley frame of q = 61 meets the Welch bound
    assert '[met] 62x31: 1.000 x Welch <= 1.05' in out
    assert '| 40 | 8 |' in out

import os.path as osp
import re
import subprocess
import sys

import torch

from mmebv.ebv import generate_ebv, load_basis

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def run(*args):
    result = subprocess.run([sys.executable, 'tools/misc/generate_ebv.py', *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result.stdout


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

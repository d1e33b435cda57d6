"""The version matrix is written once (mmebv/compatibility.py); everything else reads it or is checked against it."""
import re
import subprocess
import sys
import warnings

import pytest
from helpers import ROOT

from mmebv import compatibility


def test_readme_matrix_is_the_tested_stack():
    with open(f'{ROOT}/README.md', encoding='utf-8') as f:
        lines = f.read().splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith('| torch | torchvision |'))
    names = [cell.strip() for cell in lines[header].strip('|').split('|')]
    versions = [cell.strip().split()[0].split('+')[0] for cell in lines[header + 2].strip('|').split('|')]
    assert dict(zip(names, versions)) == compatibility.TESTED


def test_install_script_reads_the_versions_from_compatibility_py():
    with open(f'{ROOT}/tools/install.sh', encoding='utf-8') as f:
        script = f.read()
    assert not re.search(r'^[A-Z]+_VERSION=', script, re.M)  # no version written into the script
    reader = script.split('mmebv/compatibility.py" <<\'EOF\'\n', 1)[1].split('\nEOF', 1)[0]
    out = subprocess.run([sys.executable, '-', f'{ROOT}/mmebv/compatibility.py'], input=reader, capture_output=True,
                         text=True, check=True).stdout
    expected = {f'{k.upper()}_VERSION': v for k, v in compatibility.TESTED.items()}
    assert dict(line.split('=') for line in out.split()) == expected


def test_versions_inside_the_range_pass_silently_outside_warn_or_raise(monkeypatch):
    versions = {'mmdet': '3.2.0', 'mmcv': '2.1.0', 'mmpretrain': '1.3.1', 'torch': '2.14.1'}
    monkeypatch.setattr(compatibility, 'installed_version', versions.get)
    with warnings.catch_warnings():
        warnings.simplefilter('error')
        compatibility.check_supported('mmdet', 'mmcv', 'torch')  # not the tested versions, but supported
    with pytest.warns(UserWarning, match=r'mmpretrain 1\.3\.1 is installed, but mmebv supports mmpretrain '
                                         r'>= 1\.0\.0 and < 1\.3\.0 \(tested: 1\.2\.0\)'):
        compatibility.check_supported('mmpretrain')
    versions['mmcv'] = '2.2.0'
    with pytest.raises(ImportError, match=r'mmcv 2\.2\.0 is installed.*< 2\.2\.0.*mim install'):
        compatibility.check_supported('mmcv', hard=('mmcv', ))

"""Each layer imports only what it may: the core no OpenMMLab package, each host's glue only its host.

The hosts cross-import each other on their own when installed side by side (mmpretrain.models and
mmseg.models load mmdet, mmdet.models loads mmpretrain, all inside try/except), so a glue package
is judged by what it loads beyond its host's own model package.
"""
import json
import subprocess
import sys

import pytest

pytestmark = pytest.mark.e2e  # a fresh interpreter per module

HOSTS = {'mmengine', 'mmcv', 'mmdet', 'mmseg', 'mmpretrain'}
CORE = ('mmebv', 'mmebv.stack', 'mmebv.ebv', 'mmebv.classifiers', 'mmebv.losses', 'mmebv.grassmann',
        'mmebv.analysis', 'mmebv.data.semisynthetic', 'mmebv.utils', 'mmebv.utils.publishing',
        'mmebv.utils.custom_imports', 'mmebv.utils.compiled_ops', 'mmebv.ebv.official',
        'mmebv.ebv.official_checkpoint')
# module -> the OpenMMLab packages importing it must not load
FORBIDDEN = {
    **{module: HOSTS for module in CORE},
    'mmebv.engine': {'mmpretrain', 'mmdet', 'mmseg'},
    'mmebv.cls': {'mmdet', 'mmseg'},
    'mmebv.det': {'mmpretrain', 'mmseg'},
    'mmebv.seg': {'mmpretrain', 'mmdet'},
}
# glue package -> what its host loads by itself
HOST_BASELINE = {'mmebv.cls': 'mmpretrain.models', 'mmebv.det': 'mmdet.models', 'mmebv.seg': 'mmseg.models',
                 'mmebv.engine': 'mmengine.runner'}


def loaded_by(module: str) -> set:
    """Top-level packages in sys.modules after importing ``module`` in a fresh interpreter."""
    code = (f'import sys, json, {module}; '
            'print(json.dumps(sorted({m.split(".")[0] for m in sys.modules})))')
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize('module', sorted(FORBIDDEN))
def test_module_loads_no_other_host(module):
    baseline = loaded_by(HOST_BASELINE[module]) if module in HOST_BASELINE else set()
    assert not (loaded_by(module) - baseline) & FORBIDDEN[module]


def test_the_core_imports_no_torch_at_the_top():
    assert 'torch' not in loaded_by('mmebv')

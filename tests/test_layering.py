"""Each layer imports only what it may: the core no OpenMMLab package, each host's glue only its host.

The core is judged by what importing it loads, in a fresh interpreter. The hosts cross-import each
other on their own when installed side by side (mmpretrain.models and mmseg.models load mmdet,
mmdet.models loads mmpretrain, all inside try/except), so what a glue package loads beyond its
host's own model package says little; its import statements are read instead.
"""
import ast
import json
import os
import os.path as osp
import subprocess
import sys

import pytest
from helpers import ROOT

pytestmark = pytest.mark.e2e  # a fresh interpreter per module

HOSTS = {'mmengine', 'mmcv', 'mmdet', 'mmseg', 'mmpretrain'}
CORE = ('mmebv', 'mmebv.compatibility', 'mmebv.ebv', 'mmebv.classifiers', 'mmebv.losses', 'mmebv.grassmann',
        'mmebv.analysis', 'mmebv.data.fashion_mnist', 'mmebv.data.semisynthetic', 'mmebv.utils',
        'mmebv.utils.publishing', 'mmebv.utils.custom_imports', 'mmebv.utils.compiled_ops', 'mmebv.utils.files',
        'mmebv.utils.bounded_loading')
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


def loaded_by(module: str, top_level: bool = True) -> set:
    """Packages in sys.modules after importing ``module`` in a fresh interpreter: top-level names, or
    (``top_level=False``) every module's full name."""
    names = '{m.split(".")[0] for m in sys.modules}' if top_level else 'set(sys.modules)'
    code = f'import sys, json, {module}; print(json.dumps(sorted({names})))'
    result = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return set(json.loads(result.stdout.splitlines()[-1]))


@pytest.mark.parametrize('module', sorted(FORBIDDEN))
def test_module_loads_no_other_host(module):
    baseline = loaded_by(HOST_BASELINE[module]) if module in HOST_BASELINE else set()
    assert not (loaded_by(module) - baseline) & FORBIDDEN[module]


def test_the_core_imports_no_torch_at_the_top():
    assert 'torch' not in loaded_by('mmebv')


# glue package -> the packages its modules must not name in an import
GLUE = {'cls': {'mmdet', 'mmseg', 'mmebv.det', 'mmebv.seg'},
        'det': {'mmpretrain', 'mmseg', 'mmebv.cls', 'mmebv.seg'},
        'seg': {'mmpretrain', 'mmdet', 'mmebv.cls', 'mmebv.det'},
        'engine': {'mmpretrain', 'mmdet', 'mmseg', 'mmebv.cls', 'mmebv.det', 'mmebv.seg'}}


def imports_of(package: str) -> list:
    """(file, imported module) for every import statement under mmebv/<package>, relative ones resolved."""
    found = []
    for folder, _, files in os.walk(osp.join(ROOT, 'mmebv', package)):
        for name in (f for f in files if f.endswith('.py')):
            path = osp.join(folder, name)
            here = osp.relpath(folder, ROOT).replace(os.sep, '.').split('.')
            for node in ast.walk(ast.parse(open(path).read())):
                if isinstance(node, ast.Import):
                    found += [(path, alias.name) for alias in node.names]
                elif isinstance(node, ast.ImportFrom):
                    base = '.'.join(here[:len(here) - node.level + 1]) if node.level else ''
                    module = '.'.join(part for part in (base, node.module or '') if part)
                    found += [(path, module)] + [(path, f'{module}.{alias.name}') for alias in node.names]
    return found


@pytest.mark.parametrize('package', sorted(GLUE))
def test_glue_names_only_its_host_and_the_core(package):
    found = imports_of(package)
    assert found
    bad = [f'{osp.relpath(path, ROOT)} imports {module}' for path, module in found
           if any(module == other or module.startswith(other + '.') for other in GLUE[package])]
    assert not bad


# the converters' modules (tools/model_converters/): one-time tools, never part of what the package loads
CONVERTER_MODULES = ('ebv_official_pickle', 'ebv_official_checkpoint')


@pytest.mark.parametrize('module', ['mmebv.ebv', 'mmebv.cls', 'mmebv.engine'])
def test_the_package_loads_no_converter(module):
    loaded = loaded_by(module, top_level=False)
    assert not [name for name in loaded if name.split('.')[-1] in CONVERTER_MODULES or 'official' in name]
    named = [f'{osp.relpath(path, ROOT)} imports {name}' for path, name in imports_of('')  # lazy imports too
             if name.split('.')[-1] in CONVERTER_MODULES or 'official' in name]
    assert not named


def import_graph() -> dict:
    """mmebv module -> the mmebv modules its import statements (at any depth, lazy ones included) name."""
    modules = set()
    for folder, _, files in os.walk(osp.join(ROOT, 'mmebv')):
        for name in (f for f in files if f.endswith('.py')):
            parts = osp.relpath(osp.join(folder, name), ROOT)[:-3].split(os.sep)
            modules.add('.'.join(parts[:-1] if parts[-1] == '__init__' else parts))
    graph = {module: set() for module in modules}
    for path, imported in imports_of(''):
        parts = osp.relpath(path, ROOT)[:-3].split(os.sep)
        source = '.'.join(parts[:-1] if parts[-1] == '__init__' else parts)
        while imported and imported not in modules:  # `from pkg import name`: the package itself
            imported = imported.rpartition('.')[0]
        if imported and imported != source:
            graph[source].add(imported)
    return graph


def test_no_import_cycle_in_the_package():
    """A module's import statements never lead back to it (a package may import its submodules)."""
    graph = import_graph()
    cycles = []

    def reaches(start, target, seen):
        for child in graph[start]:
            if child == target:
                return True
            if child not in seen and not target.startswith(child + '.'):  # a submodule needs its package
                seen.add(child)
                if reaches(child, target, seen):
                    return True
        return False

    for module in sorted(graph):
        for child in graph[module]:
            if not module.startswith(child + '.') and not child.startswith(module + '.') \
                    and reaches(child, module, {child}):
                cycles.append(f'{module} -> {child} -> ... -> {module}')
    assert not cycles

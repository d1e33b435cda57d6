"""The documentation builds with warnings as errors, from pages, generated pages and figures that
follow the repository (model zoo from the metafiles, compatibility from mmebv/compatibility.py)."""
import os.path as osp
import subprocess
import sys

import pytest
import yaml
from helpers import ROOT

DOCS = osp.join(ROOT, 'docs', 'en')


def run_script(name: str) -> None:
    subprocess.run([sys.executable, osp.join(DOCS, name)], check=True, cwd=DOCS, capture_output=True)


def test_generated_pages_follow_the_metafiles_and_the_stack():
    from mmebv import compatibility
    run_script('stat.py')
    with open(osp.join(DOCS, 'model_zoo.md'), encoding='utf-8') as f:
        zoo = f.read()
    with open(osp.join(ROOT, 'model-index.yml'), encoding='utf-8') as f:
        metafiles = yaml.safe_load(f)['Import']
    for metafile in metafiles:
        with open(osp.join(ROOT, metafile), encoding='utf-8') as f:
            for model in yaml.safe_load(f)['Models']:
                assert f'| {model["Name"]} | {model["Metadata"]["Training Data"]} |' in zoo
    with open(osp.join(DOCS, 'notes', 'compatibility.md'), encoding='utf-8') as f:
        matrix = f.read()
    for name, version in compatibility.TESTED.items():
        assert f'| {name} | {version} |' in matrix


def test_figures_are_drawn_from_the_measured_data():
    run_script('figures.py')
    for name in ('basis_coherence.png', 'head_cost.png', 'accuracy.png'):
        path = osp.join(DOCS, '_static', 'figures', name)
        with open(path, 'rb') as f:
            assert f.read(8) == b'\x89PNG\r\n\x1a\n', path


@pytest.mark.e2e
def test_docs_build_without_warnings(tmp_path):
    result = subprocess.run([sys.executable, '-m', 'sphinx', '-W', '--keep-going', '-q', '-b', 'html', DOCS,
                             str(tmp_path / 'html')], cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, (result.stdout + result.stderr)[-6000:]
    for page in ('index', 'get_started', 'model_zoo', 'api', 'notes/compatibility', 'benchmarks'):
        assert (tmp_path / 'html' / f'{page}.html').is_file(), page

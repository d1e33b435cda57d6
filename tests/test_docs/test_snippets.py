"""The README's config snippets (one per host) are configs that build their model, as written."""
import os.path as osp
import re

import pytest
from helpers import ROOT
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope


def snippets() -> list:
    with open(osp.join(ROOT, 'README.md'), encoding='utf-8') as f:
        blocks = re.findall(r'^```python\n(.*?)^```', f.read(), re.S | re.M)
    return [block for block in blocks if 'custom_imports' in block]


def test_one_snippet_per_host():
    hosts = [re.search(r"imports=\['(mmebv\.\w+)'", block).group(1) for block in snippets()]
    assert hosts == ['mmebv.cls', 'mmebv.det', 'mmebv.seg']


@pytest.mark.parametrize('index', range(3), ids=['mmpretrain', 'mmdet', 'mmseg'])
def test_readme_snippet_builds_its_model(index, tmp_path):
    text = snippets()[index]
    if '_base_' not in text:  # the classification snippet changes the head of an mmpretrain model
        text = "_base_ = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'\n" + text
    path = tmp_path / 'snippet.py'
    path.write_text(text)
    cfg = Config.fromfile(str(path))
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    model = MODELS.build(cfg.model)
    classifiers = {type(m).__name__ for m in model.modules()}
    assert 'FixedClassifier' in classifiers, classifiers
    assert [m.basis_meta['type'] for m in model.modules() if hasattr(m, 'basis_meta')][:1] == ['EBV']

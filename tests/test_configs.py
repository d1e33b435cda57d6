"""Every shipped config parses and builds its model, so a broken config fails here first."""
import glob
import os.path as osp

import pytest
from helpers import ROOT
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

# the name part of each kind of config -> the mmebv classifier modules such a config holds (an FC
# twin holds none of them) and, for fixed classifiers, the basis type they hold
HEAD_OF = {
    'ebv': ({'FixedClassifier'}, 'EBV'),
    'etf': ({'FixedClassifier'}, 'SimplexETF'),
    'hadamard': ({'FixedClassifier'}, 'Hadamard'),
    'maxsep': ({'FixedClassifier'}, 'MaxSeparation'),
    'fc': (set(), None),
    'gcr': ({'GrassmannClassifier'}, None),
    'lmsoftmax': ({'LargestMarginClassifier'}, None),
    'lmsoftmax-zc': ({'LargestMarginClassifier'}, None),
    'dmlcrc': ({'DMLCRCClassifier'}, None),
    'arcface': ({'ArcFaceClsHead'}, None),
    'sharded-gold': ({'ShardedFixedClassifier'}, 'ExtendedGold'),
}

# 10M x 512 basis rows (10 GB on one process): tests/test_tools/test_sharded_configs.py builds it on two
MULTI_PROCESS = 'resnet50_sharded-seeded_8xb128-1k_synthetic-10m.py'
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p and osp.basename(p) != MULTI_PROCESS)


def build_model(cfg: Config):
    """Build as mmengine's Runner does: the root registry, switched to the config's scope."""
    init_default_scope(cfg.get('default_scope', 'mmengine'))
    return MODELS.build(cfg.model)


def test_configs_are_found():
    assert len(CONFIGS) >= 4


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, osp.join(ROOT, 'configs')))
def test_config_builds_its_model(path):
    cfg = Config.fromfile(path)  # imports cfg.custom_imports too
    assert cfg.get('custom_imports', {}).get('allow_failed_imports') is False
    model = build_model(cfg)
    assert sum(p.numel() for p in model.parameters()) > 0
    heads = {type(m).__name__ for m in model.modules()}
    bases = {m.basis_meta['type'] for m in model.modules() if hasattr(m, 'basis_meta')}
    name_parts = set(osp.basename(path).split('_'))  # one '_<head>_' part names the classifier
    named = [tag for tag in HEAD_OF if tag in name_parts]
    assert len(named) == 1, f'name the classifier with one of {sorted(HEAD_OF)}'
    modules, basis = HEAD_OF[named[0]]
    assert not modules or modules & heads, f'{named[0]} config without {modules}'
    others = set().union(*(m for m, _ in HEAD_OF.values())) - modules
    assert not others & heads, f'{named[0]} config with {others & heads}'
    assert bases == ({basis} if basis else set()), f'{named[0]} config with bases {bases}'

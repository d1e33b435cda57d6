"""Every shipped config parses and builds its model, so a broken config fails here first."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from mmengine.registry import MODELS, init_default_scope

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


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

import argparse

import pytest
from mmengine.config import Config

from mmebv.engine.launch import _replace_sync_bn, add_common_args


@pytest.mark.parametrize('flag', ['--local_rank', '--local-rank'])
def test_both_local_rank_spellings(flag):
    parser = argparse.ArgumentParser()
    add_common_args(parser)
    assert parser.parse_args([flag, '3']).local_rank == 3


def test_sync_bn_becomes_bn_for_cpu_processes():
    cfg = Config(dict(model=dict(backbone=dict(norm_cfg=dict(type='SyncBN')),
                                 heads=[dict(norm_cfg=dict(type='SyncBN', requires_grad=True))])))
    assert _replace_sync_bn(cfg.model)
    assert cfg.model.backbone.norm_cfg.type == 'BN' and cfg.model.heads[0].norm_cfg.type == 'BN'
    assert not _replace_sync_bn(cfg.model)

import argparse

import pytest
import torch
from mmengine.config import Config

from mmebv.engine.launch import _replace_sync_bn, add_common_args
from mmebv.engine.safe_loading import allow_mmengine_checkpoint_types


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


class Arbitrary:

    def __reduce__(self):
        return (print, ('this must never run',))


def test_safe_loading_reads_mmengine_state_and_refuses_other_objects(tmp_path):
    from mmengine.logging import HistoryBuffer, MessageHub
    allow_mmengine_checkpoint_types()
    hub = MessageHub.get_instance('safe-loading-test')
    hub.update_scalar('train/loss', 0.5)
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(message_hub=hub.state_dict(), state_dict={'w': torch.ones(2)}), path)
    loaded = torch.load(path, weights_only=True)
    assert isinstance(loaded['message_hub']['log_scalars']['train/loss'], HistoryBuffer)
    torch.save(dict(payload=Arbitrary()), path)
    with pytest.raises(Exception, match='Unsupported global|weights_only'):
        torch.load(path, weights_only=True)

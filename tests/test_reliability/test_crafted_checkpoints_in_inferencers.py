"""mmpretrain's inferencer, given an mmebv config, reads checkpoints through mmebv's safe loading: a
crafted checkpoint is refused by name and runs nothing."""
import os.path as osp

import pytest
import torch
from helpers import ROOT

from mmebv.engine import CheckpointError

CONFIG = osp.join(ROOT, 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py')


class Payload:
    """Unpickled by an unsafe loader, it creates the file ``marker``."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return open, (self.marker, 'w')


def test_the_classification_inferencer_refuses_a_crafted_checkpoint(tmp_path):
    from mmpretrain import ImageClassificationInferencer
    marker = tmp_path / 'code_ran'
    torch.save(dict(state_dict={}, meta=dict(note=Payload(marker))), tmp_path / 'crafted.pth')
    with pytest.raises(CheckpointError, match=r'crafted\.pth is refused by safe loading'):
        ImageClassificationInferencer(model=CONFIG, pretrained=str(tmp_path / 'crafted.pth'), device='cpu')
    assert not marker.exists()

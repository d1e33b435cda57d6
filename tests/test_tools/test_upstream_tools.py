"""Upstream tools on mmebv's configs: mmpretrain's browse_dataset.py and ImageClassificationInferencer, a
FLOPs count of the one-channel demo, and a runtime that leaves GPUs their nccl backend."""
import os.path as osp
import re

import cv2
import mmpretrain
import numpy as np
import pytest
import torch
from helpers import ROOT, run
from mmengine.config import Config

from mmebv.cls import ToGrey

CONFIG = osp.join(ROOT, 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py')
UPSTREAM_TOOLS = osp.join(osp.dirname(mmpretrain.__file__), '.mim', 'tools')


def test_to_grey_converts_colour_as_opencv_and_keeps_grey():
    colour = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    grey = ToGrey().transform(dict(img=colour))['img']
    assert grey.shape == (5, 7) and np.array_equal(grey, cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY))
    assert np.array_equal(ToGrey().transform(dict(img=grey.copy()))['img'], grey)
    assert np.array_equal(ToGrey().transform(dict(img=grey[:, :, None].copy()))['img'], grey)
    with pytest.raises(ValueError, match='channel_order'):
        ToGrey('hsv')


def test_inferencer_classifies_a_colour_image_file_with_the_one_channel_demo(tmp_path):
    from mmpretrain import ImageClassificationInferencer
    from mmpretrain.registry import MODELS
    cfg = Config.fromfile(CONFIG)
    model = MODELS.build(dict(cfg.model, data_preprocessor=cfg.data_preprocessor))
    torch.save(dict(meta=dict(epoch=0), state_dict=model.state_dict()), tmp_path / 'demo.pth')
    image = tmp_path / 'shoe.png'
    cv2.imwrite(str(image), np.full((28, 28, 3), (30, 120, 200), dtype=np.uint8))
    inferencer = ImageClassificationInferencer(CONFIG, pretrained=str(tmp_path / 'demo.pth'), device='cpu')
    result = inferencer(str(image))[0]
    assert 0 <= result['pred_label'] < 10 and len(result['pred_scores']) == 10


def test_the_runtime_leaves_the_distributed_backend_to_the_machine():
    cfg = Config.fromfile(CONFIG)
    assert cfg.env_cfg.dist_cfg.backend == 'nccl'  # mmpretrain's; tools/ switch CPU-only runs to gloo
    assert '_scope_' not in cfg.visualizer


@pytest.mark.e2e
def test_upstream_browse_dataset_draws_the_demo_images(tmp_path):
    log = run([osp.join(UPSTREAM_TOOLS, 'visualization', 'browse_dataset.py'), CONFIG, '-o', str(tmp_path), '-n', '2',
               '-m', 'original'])
    assert osp.isfile(tmp_path / '0.jpg') and osp.isfile(tmp_path / '1.jpg'), log[-2000:]


@pytest.mark.e2e
def test_get_flops_counts_the_one_channel_demo():
    log = run(['tools/analysis_tools/get_flops.py', CONFIG])
    assert 'input shape: (1, 28, 28)' in log
    assert float(re.search(r'flops: ([\d.]+)M', log).group(1)) > 1

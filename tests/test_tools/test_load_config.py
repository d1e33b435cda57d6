"""tools/train.py's and tools/test.py's config loading (mmebv.engine.launch.load_config) on shipped configs."""
import argparse
import os.path as osp

from helpers import ROOT
from mmengine.config import DictAction

from mmebv.engine.launch import load_config

MASK_RCNN = osp.join(ROOT, 'configs/mask-rcnn_r50_ebv_coco.py')  # mmdet's loaders: 2 persistent workers


def options(*pairs: str) -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    return parser.parse_args(['--cfg-options', *pairs]).cfg_options


def test_no_workers_turns_persistent_workers_off_and_workers_keep_it():
    """The README's CPU command for the Mask R-CNN card sets num_workers=0 on two loaders: torch
    would refuse persistent_workers=True there (ValueError: persistent_workers option needs
    num_workers > 0)."""
    args = argparse.Namespace(config=MASK_RCNN, work_dir=None, launcher='none', local_rank=0,
                              cfg_options=options('train_dataloader.num_workers=0', 'val_dataloader.num_workers=0'))
    cfg = load_config(args)
    assert cfg.train_dataloader.persistent_workers is False and cfg.val_dataloader.persistent_workers is False
    assert cfg.test_dataloader.num_workers == 2 and cfg.test_dataloader.persistent_workers is True

"""Train any mmpretrain, mmdet or mmseg config, mmebv's included.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [CKPT]] [--amp] [--cfg-options k=v ...]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmebv.engine  # noqa: E402,F401  (safe loading of mmengine checkpoints, our hooks)
from mmebv.engine import CheckpointError  # noqa: E402
from mmebv.engine.checkpoints import check_resume_path, find_resumable_checkpoint, use_atomic_checkpoints  # noqa: E402
from mmebv.engine.launch import LaunchError, add_common_args, check_amp, check_work_dir, load_config  # noqa: E402
from mmebv.engine.smoke import apply_smoke  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a model with mmengine\'s Runner')
    parser.add_argument('config', help='config file')
    parser.add_argument('--resume', nargs='?', type=str, const='auto',
                        help='resume from this checkpoint, or from the latest in the work dir if no '
                        'path is given')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the real total batch size')
    parser.add_argument('--no-validate', action='store_true', help='skip validation during training')
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args)
    apply_smoke(cfg)  # MMEBV_SMOKE=1: a few samples and iterations (docs/en/notes/testing.md)
    if args.amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    check_amp(cfg, from_flag=args.amp)  # mmengine would stop at an AssertionError after building everything
    if args.auto_scale_lr:
        cfg.setdefault('auto_scale_lr', {})['enable'] = True
    if args.no_validate:
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    check_work_dir(cfg)  # before anything is built or trained
    use_atomic_checkpoints(cfg)  # complete files under real names; old ones removed after the new one
    if args.resume == 'auto':
        # the newest checkpoint of the work dir that reads completely (None: start from scratch)
        cfg.resume, cfg.load_from = True, find_resumable_checkpoint(cfg.work_dir)
        if cfg.load_from is None:
            cfg.resume = False
            print(f'--resume: no checkpoint in {cfg.work_dir}, starting from scratch')
    elif args.resume is not None:
        check_resume_path(args.resume, cfg.work_dir)
        cfg.resume, cfg.load_from = True, args.resume
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.train()


if __name__ == '__main__':
    try:
        main()
    # a checkpoint that is missing, damaged, unsafe or of another model; a work dir or setting that cannot work
    except (CheckpointError, LaunchError) as error:
        sys.exit(f'error: {error}')

"""Evaluate a checkpoint with any mmpretrain, mmdet or mmseg config, mmebv's included.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE] [--cfg-options k=v ...]
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmebv.engine  # noqa: E402,F401  (safe loading of mmengine checkpoints, our hooks)
from mmebv.engine import CheckpointError  # noqa: E402
from mmebv.engine.checkpoints import CheckpointMatchHook  # noqa: E402
from mmebv.engine.launch import add_common_args, load_config  # noqa: E402
from mmebv.engine.smoke import apply_smoke  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint with mmengine\'s Runner')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    add_common_args(parser)
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    cfg = load_config(args)
    apply_smoke(cfg)  # MMEBV_SMOKE=1: a few samples and iterations (docs/en/notes/testing.md)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint!r} does not exist')
    cfg.load_from = args.checkpoint
    if args.out is not None:
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(cfg.test_evaluator, (list, tuple)) \
            else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.register_hook(CheckpointMatchHook())  # a checkpoint of another head or config stops here
    runner.test()


if __name__ == '__main__':
    try:
        main()
    except CheckpointError as error:  # a checkpoint that is missing, damaged, unsafe or of another model
        sys.exit(f'error: {error}')

"""Evaluate a checkpoint with any mmpretrain, mmdet or mmseg config, mmebv's included.

    python tools/test.py CONFIG CHECKPOINT [--work-dir DIR] [--out FILE] [--show] [--show-dir DIR]
                         [--interval N] [--wait-time S] [--tta] [--cfg-options k=v ...]

--show and --show-dir draw the predictions with the visualization hook of the config's host
(``default_scope``): mmpretrain's ``VisualizationHook``, mmdet's ``DetVisualizationHook``, mmseg's
``SegVisualizationHook``. --tta evaluates the config's ``tta_model`` on its ``tta_pipeline``;
for mmpretrain and mmdet configs without them, the hosts' own default (the test pipeline and its
horizontal flip, scores averaged) as their tools/test.py do.
"""
import argparse
import copy
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))  # run from a source checkout

from mmengine.config import Config, ConfigDict  # noqa: E402
from mmengine.registry import RUNNERS  # noqa: E402
from mmengine.runner import Runner  # noqa: E402

import mmebv.engine  # noqa: E402,F401  (safe loading of mmengine checkpoints, our hooks)
from mmebv.engine import CheckpointError  # noqa: E402
from mmebv.engine.checkpoints import CheckpointMatchHook  # noqa: E402
from mmebv.engine.launch import add_common_args, load_config  # noqa: E402
from mmebv.engine.smoke import apply_smoke  # noqa: E402

# default_scope -> the type of its visualization hook
VISUALIZATION_HOOKS = {'mmpretrain': 'VisualizationHook', 'mmdet': 'DetVisualizationHook',
                       'mmseg': 'SegVisualizationHook'}
IMAGE_FILES = ('.png', '.jpg', '.jpeg')


class TestOptionError(ValueError):
    """An option of tools/test.py that this config cannot serve (the message names why and the fix)."""


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Evaluate a checkpoint with mmengine\'s Runner')
    parser.add_argument('config', help='config file')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--out', help='dump the raw predictions to this pickle file')
    parser.add_argument('--show', action='store_true', help='show each prediction in a window (needs a display)')
    parser.add_argument('--show-dir', help='draw each prediction into an image file under this directory')
    parser.add_argument('--interval', type=int, default=1, help='draw every N-th test image (default 1)')
    parser.add_argument('--wait-time', type=float, default=2, help='seconds each --show window stays (default 2)')
    parser.add_argument('--tta', action='store_true',
                        help="test-time augmentation: the config's tta_model on its tta_pipeline")
    add_common_args(parser)
    return parser.parse_args(argv)


def enable_visualization(cfg: Config, show: bool, show_dir, interval: int, wait_time: float) -> None:
    """Turn on the config's visualization hook, in the way its host names the settings.

    Args:
        cfg (Config): the config; its ``default_hooks.visualization`` is changed.
        show (bool): show each drawn prediction in a window.
        show_dir (str, optional): write the drawings under this directory (made absolute: mmdet
            would put a relative one under the work dir's timestamp folder).
        interval (int): draw every ``interval``-th image.
        wait_time (float): seconds a shown window stays.

    Raises:
        TestOptionError: no display for --show, a host without a known hook, or no such hook.
    """
    if show and sys.platform.startswith('linux') and not (os.environ.get('DISPLAY') or
                                                          os.environ.get('WAYLAND_DISPLAY')):
        raise TestOptionError('--show opens a window, but there is no display here (DISPLAY is not set): '
                              'use --show-dir DIR to write the drawn predictions to image files instead')
    scope = cfg.get('default_scope')
    if scope not in VISUALIZATION_HOOKS:
        raise TestOptionError(f'--show/--show-dir know the visualization hooks of {sorted(VISUALIZATION_HOOKS)}; '
                              f"this config's default_scope is {scope!r}")
    hook = cfg.get('default_hooks', {}).get('visualization')
    if not hook:
        raise TestOptionError(f'--show/--show-dir draw with the visualization hook, and this config has none: add '
                              f"default_hooks = dict(visualization=dict(type='{VISUALIZATION_HOOKS[scope]}')) "
                              f'(the {scope} default)')
    show_dir = osp.abspath(show_dir) if show_dir else None
    hook.update(show=show, wait_time=wait_time, interval=interval)
    if scope == 'mmpretrain':
        hook.update(enable=True, out_dir=show_dir)
    elif scope == 'mmdet':
        hook.update(draw=True, test_out_dir=show_dir)
    else:  # mmseg's hook writes through the visualizer's backends, under its save_dir
        hook.update(draw=True)
        if show_dir:
            cfg.visualizer['save_dir'] = show_dir


def flip_tta_pipeline(test_pipeline: list) -> list:
    """The test pipeline with its packing step run on the image and its horizontal flip: the
    default TTA of mmpretrain's and mmdet's tools/test.py."""
    pipeline = copy.deepcopy(test_pipeline)
    pipeline[-1] = dict(type='TestTimeAug',
                        transforms=[[dict(type='RandomFlip', prob=1.), dict(type='RandomFlip', prob=0.)],
                                    [test_pipeline[-1]]])
    return pipeline


def enable_tta(cfg: Config) -> str:
    """Wrap the model in the config's ``tta_model`` and test on its ``tta_pipeline``.

    Args:
        cfg (Config): the config; ``model`` and the test dataset's ``pipeline`` are replaced.

    Returns:
        str: what was used, to print.

    Raises:
        TestOptionError: a config without ``tta_model`` and ``tta_pipeline`` whose host has no
            default (mmseg), or a Mask R-CNN config (mmdet's TTA merges boxes, not masks).
    """
    scope = cfg.get('default_scope')
    dataset = cfg.test_dataloader.dataset
    while 'dataset' in dataset:
        dataset = dataset.dataset
    used = 'tta_model and tta_pipeline of the config'
    if scope == 'mmdet':
        heads = cfg.model.get('roi_head') or {}
        if heads.get('mask_head'):
            raise TestOptionError("--tta: mmdet's DetTTAModel merges the boxes of the augmented images, not "
                                  'instance masks, and this config predicts masks (Mask R-CNN); evaluate without --tta')
    if 'tta_model' not in cfg or 'tta_pipeline' not in cfg:
        if scope == 'mmpretrain':
            cfg.setdefault('tta_model', dict(type='mmpretrain.AverageClsScoreTTA'))
        elif scope == 'mmdet':
            cfg.setdefault('tta_model', dict(type='DetTTAModel', tta_cfg=dict(nms=dict(type='nms', iou_threshold=0.5),
                                                                               max_per_img=100)))
        else:
            missing = [key for key in ('tta_model', 'tta_pipeline') if key not in cfg]
            raise TestOptionError(f'--tta needs {" and ".join(missing)} in the config, and it has none: add them '
                                  f"(mmseg's ADE20K configs have tta_model=dict(type='SegTTAModel') and a "
                                  f'multi-scale, flipped tta_pipeline)')
        if 'tta_pipeline' not in cfg:
            cfg.tta_pipeline = flip_tta_pipeline(dataset.pipeline)
        used = f"{scope}'s default: {cfg.tta_model['type']} on the test pipeline and its horizontal flip"
    cfg.model = ConfigDict(**cfg.tta_model, module=cfg.model)
    dataset.pipeline = cfg.tta_pipeline
    return used


def drawn_images(folder: str) -> int:
    """Image files under ``folder`` (0 when it does not exist)."""
    return sum(name.lower().endswith(IMAGE_FILES) for _, _, names in os.walk(folder) for name in names)


def main() -> None:
    args = parse_args()
    cfg = load_config(args)
    apply_smoke(cfg)  # MMEBV_SMOKE=1: a few samples and iterations (docs/en/notes/testing.md)
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint {args.checkpoint!r} does not exist')
    cfg.load_from = args.checkpoint
    if args.tta and (args.show or args.show_dir):
        raise TestOptionError('--tta with --show/--show-dir: the hosts\' visualization hooks draw single images, not '
                              'the augmented copies of one: draw without --tta, or evaluate with --tta alone')
    if args.show or args.show_dir:
        enable_visualization(cfg, args.show, args.show_dir, args.interval, args.wait_time)
    if args.tta:
        print(f'--tta: {enable_tta(cfg)}', flush=True)
    if args.out is not None:
        cfg.test_evaluator = list(cfg.test_evaluator) if isinstance(cfg.test_evaluator, (list, tuple)) \
            else [cfg.test_evaluator]
        cfg.test_evaluator.append(dict(type='DumpResults', out_file_path=args.out))
    runner = Runner.from_cfg(cfg) if 'runner_type' not in cfg else RUNNERS.build(cfg)
    runner.register_hook(CheckpointMatchHook())  # a checkpoint of another head or config stops here
    runner.test()
    if args.show_dir:
        print(f'--show-dir: {drawn_images(osp.abspath(args.show_dir))} drawn predictions under {args.show_dir}')


if __name__ == '__main__':
    try:
        main()
    except (CheckpointError, TestOptionError) as error:  # the message says what to do
        sys.exit(f'error: {error}')

"""Every classifier layer in UperNet (mmseg) or Mask R-CNN (mmdet) at one budget: train each twin
config the same way through tools/train.py on the semi-synthetic set and print one table of its
metrics (mIoU; COCO box and mask mAP) and wall time.

    python tools/misc/make_semisynthetic_data.py ade20k   # or coco, once
    python tools/analysis_tools/benchmark_downstream.py seg [--iters 300] [--size 160] [--seeds 0]
    python tools/analysis_tools/benchmark_downstream.py det [--iters 200] [--size 160]

Every twin gets the same shortening, none of it a model setting: no ImageNet weights (none can be
downloaded here), images, resize scales and crops at ``--size`` px, ``--iters`` iterations of batch 2
(Mask R-CNN: epochs of the 200-image set, rounded up), the config's own optimizer and schedule, no
dataloader workers. The data are Fashion-MNIST items on random backgrounds, not ADE20K or COCO: the
figures compare the layers on an easy set at a tiny budget, not on the real tasks.
"""
import argparse
import math
import os
import os.path as osp
import re
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TWINS = {
    'seg': [('FC', 'configs/upernet/upernet_r18_fc_4xb4-80k_ade20k-512x512.py'),
            ('EBV', 'configs/upernet/upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'),
            ('GCR', 'configs/upernet/upernet_r18_gcr_4xb4-80k_ade20k-512x512.py'),
            ('DML-CRC', 'configs/upernet/upernet_r18_dmlcrc_4xb4-80k_ade20k-512x512.py'),
            ('LM-Softmax', 'configs/upernet/upernet_r18_lmsoftmax_4xb4-80k_ade20k-512x512.py')],
    'det': [('FC', 'configs/mask_rcnn/mask-rcnn_r50_fc_coco.py'),
            ('EBV', 'configs/mask-rcnn_r50_ebv_coco.py'),
            ('GCR', 'configs/mask_rcnn/mask-rcnn_r50_gcr_1x_coco.py'),
            ('DML-CRC', 'configs/mask_rcnn/mask-rcnn_r50_dmlcrc_1x_coco.py'),
            ('LM-Softmax', 'configs/mask_rcnn/mask-rcnn_r50_lmsoftmax_1x_coco.py')],
}
METRICS = {'seg': [('mIoU', r'mIoU: (\d+\.\d+)'), ('aAcc', r'aAcc: (\d+\.\d+)')],
           'det': [('box mAP', r'coco/bbox_mAP: (-?\d\.\d+)'), ('mask mAP', r'coco/segm_mAP: (-?\d\.\d+)')]}
NO_WORKERS = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
              for key in ('num_workers=0', 'persistent_workers=False')]


def shortening(task: str, iters: int, size: int, seed: int, train_images: int, data_root: str = None) -> list:
    """The --cfg-options every twin of ``task`` gets."""
    common = ['model.backbone.init_cfg=None', f'randomness.seed={seed}', 'default_hooks.logger.interval=50',
              'default_hooks.checkpoint.interval=100000', *NO_WORKERS]
    if data_root:
        common += [f'{loader}.dataset.data_root={osp.abspath(data_root)}/' for loader in
                   ('train_dataloader', 'val_dataloader', 'test_dataloader')]
        if task == 'det':
            common += [f'{key}.ann_file={osp.abspath(data_root)}/annotations/instances_val2017.json'
                       for key in ('val_evaluator', 'test_evaluator')]
    if task == 'seg':
        return common + [
            'model.pretrained=None', f'model.data_preprocessor.size=({size},{size})',
            f'train_dataloader.dataset.pipeline.2.scale=({2 * size},{size})',
            f'train_dataloader.dataset.pipeline.3.crop_size=({size},{size})',
            f'val_dataloader.dataset.pipeline.1.scale=({2 * size},{size})',
            'train_dataloader.batch_size=2', f'train_cfg.max_iters={iters}', f'train_cfg.val_interval={iters}',
            f'param_scheduler.0.end={iters}']
    epochs = math.ceil(iters * 2 / train_images)
    return common + [
        f'train_dataloader.dataset.pipeline.2.scale=({size},{size})',
        f'val_dataloader.dataset.pipeline.1.scale=({size},{size})',
        'train_dataloader.batch_size=2', f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
        'param_scheduler.0.end=50', f'param_scheduler.1.end={epochs}', f'param_scheduler.1.milestones=[{epochs}]']


def run_twin(task: str, config: str, options: list, work_dir: str) -> tuple:
    """Train ``config``; its last validation's metrics and the wall time in seconds."""
    start = time.time()
    result = subprocess.run([sys.executable, osp.join(ROOT, 'tools/train.py'), osp.join(ROOT, config),
                             '--work-dir', work_dir, '--cfg-options', *options], cwd=ROOT, capture_output=True,
                            text=True, env=dict(os.environ, PYTHONUNBUFFERED='1'))
    seconds = time.time() - start
    if result.returncode:
        raise RuntimeError(f'{config} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}')
    values = []
    for _, pattern in METRICS[task]:
        found = re.findall(pattern, result.stdout + result.stderr)
        values.append(float(found[-1]) if found else float('nan'))
    return values, seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('task', choices=sorted(TWINS))
    parser.add_argument('--iters', type=int, default=300, help='training iterations of batch 2')
    parser.add_argument('--size', type=int, default=160, help='image, scale and crop side in pixels')
    parser.add_argument('--seeds', type=int, nargs='+', default=[0])
    parser.add_argument('--train-images', type=int, default=200, help='images in the semi-synthetic train set')
    parser.add_argument('--only', nargs='+', help='run these twins only (names as in the table)')
    parser.add_argument('--data-root', help='the semi-synthetic set; default: each config\'s data_root')
    args = parser.parse_args()
    names = [name for name, _ in METRICS[args.task]]
    print(f'| layer | config | seed | {" | ".join(names)} | wall time (s) |')
    print('|---|---|---|' + '---|' * len(names) + '---|', flush=True)
    with tempfile.TemporaryDirectory(prefix='mmebv-downstream-') as tmp:
        for layer, config in TWINS[args.task]:
            if args.only and layer not in args.only:
                continue
            for seed in args.seeds:
                options = shortening(args.task, args.iters, args.size, seed, args.train_images, args.data_root)
                values, seconds = run_twin(args.task, config, options, osp.join(tmp, f'{layer}-{seed}'))
                print(f'| {layer} | `{config}` | {seed} | ' + ' | '.join(f'{v:.3g}' for v in values) +
                      f' | {seconds:.0f} |', flush=True)


if __name__ == '__main__':
    main()

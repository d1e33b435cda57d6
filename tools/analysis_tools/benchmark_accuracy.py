"""Accuracy at equal budget on real Fashion-MNIST: every head, the same backbone and schedule.

    python tools/analysis_tools/benchmark_accuracy.py [--seeds 0,1,2] [--epochs 2] [--train-samples 20000]
        [--heads fc,ebv,etf,hadamard,maxsep,gcr,lmsoftmax,dmlcrc,arcface]

Each run goes through tools/train.py with the head's demo config (SmallConvNet, SGD with warm-up and
cosine decay shortened to --epochs), seeds only the training randomness (the EBV basis and GCR's
initial subspaces keep their configured seeds: they are part of the method; the simplex ETF's
rotation likewise), and evaluates top-1
on the official 10,000-image test split. Prints mean ± std over seeds and the seconds per run.
"""
import argparse
import os.path as osp
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
HEADS = {
    'fc': 'configs/ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py',
    'ebv': 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py',
    'etf': 'configs/simplex_etf/smallconvnet_etf_1xb128-5e_fashion-mnist.py',
    'hadamard': 'configs/hadamard/smallconvnet_hadamard_1xb128-5e_fashion-mnist.py',
    'maxsep': 'configs/max_separation/smallconvnet_maxsep_1xb128-5e_fashion-mnist.py',
    'gcr': 'configs/gcr/smallconvnet_gcr_1xb128-5e_fashion-mnist.py',
    'lmsoftmax': 'configs/largest_margin/smallconvnet_lmsoftmax_1xb128-5e_fashion-mnist.py',
    'dmlcrc': 'configs/dml_crc/smallconvnet_dmlcrc_1xb128-5e_fashion-mnist.py',
    'arcface': 'configs/arcface/smallconvnet_arcface_1xb128-5e_fashion-mnist.py',
}


def train_once(config: str, seed: int, epochs: int, train_samples: int, test_samples: int, work_dir: str) -> tuple:
    """(top-1 on the test split, seconds) of one shortened run."""
    options = [f'randomness.seed={seed}', f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs}',
               f'param_scheduler.1.T_max={epochs - 1}', f'param_scheduler.1.end={epochs}',
               f'train_dataloader.dataset.indices={train_samples}', 'default_hooks.checkpoint.interval=-1',
               'default_hooks.checkpoint.save_last=False', 'default_hooks.checkpoint.save_best=None']
    if test_samples:
        options.append(f'val_dataloader.dataset.indices={test_samples}')
    start = time.perf_counter()
    result = subprocess.run([sys.executable, 'tools/train.py', config, '--work-dir', work_dir,
                             '--cfg-options', *options], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    log = result.stdout + result.stderr
    found = re.findall(r'accuracy/top1: ([\d.]+)', log)
    if result.returncode != 0 or not found:
        raise RuntimeError(f'{config} (seed {seed}) failed:\n{log[-3000:]}')
    return float(found[-1]), seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--heads', default=','.join(HEADS))
    parser.add_argument('--seeds', default='0,1,2')
    parser.add_argument('--epochs', type=int, default=2, help='>= 2: one warm-up epoch, then cosine decay')
    parser.add_argument('--train-samples', type=int, default=20000, help='first N training images')
    parser.add_argument('--test-samples', type=int, default=0, help='first N test images; 0: all 10,000')
    args = parser.parse_args()
    if args.epochs < 2:
        raise SystemExit('--epochs must be >= 2 (one warm-up epoch, then the cosine decay)')
    seeds = [int(s) for s in args.seeds.split(',')]
    print(f'Fashion-MNIST, SmallConvNet, {args.epochs} epochs on the first {args.train_samples} training '
          f'images, top-1 on {args.test_samples or 10000} test images, seeds {seeds}')
    print('| head | config | top-1 mean ± std | per seed | s per run |\n|---|---|---|---|---|')
    with tempfile.TemporaryDirectory() as tmp:
        for head in args.heads.split(','):
            results = [train_once(HEADS[head], seed, args.epochs, args.train_samples, args.test_samples,
                                  osp.join(tmp, f'{head}{seed}'))
                       for seed in seeds]
            top1 = [r[0] for r in results]
            spread = statistics.stdev(top1) if len(top1) > 1 else 0.0
            print(f'| {head} | {osp.basename(HEADS[head])} | {statistics.mean(top1):.2f} ± {spread:.2f} | '
                  f'{", ".join(f"{t:.2f}" for t in top1)} | {statistics.mean(r[1] for r in results):.0f} |',
                  flush=True)


if __name__ == '__main__':
    main()

"""Run every session of a class-incremental recipe, one after the other, and print the table.

    python tools/misc/run_incremental.py configs/incremental/ebv_extend --work-dir DIR [--gpus N]
                                         [--seed 0] [--freeze-backbone] [--cfg-options k=v ...]

A recipe is a folder of ``*session_1.py``, ``*session_2.py``, ... (mmpretrain configs, named e.g.
``smallconvnet_ebv_session_1.py``; each session
after the first loads the previous one's checkpoint into a head of more classes). Session k trains
in ``DIR/session_k`` with ``tools/train.py`` (``--gpus 1``) or ``tools/dist_train.sh CONFIG N``
(``--gpus N``: N processes, gloo on a machine without CUDA), and gets from this script:

- ``load_from``: the checkpoint ``DIR/session_<k-1>/last_checkpoint`` names, and the metric's
  ``history``: ``DIR/session_<k-1>/incremental.json`` (``out_file``: ``DIR/session_k/incremental.json``);
- ``train_dataloader.batch_size = total_batch_size // N`` (the config's total batch over all
  processes) and ``--auto-scale-lr`` (learning rate x real total batch / ``auto_scale_lr.base_batch_size``);
- ``randomness.seed`` and the exemplar seed ``train_dataloader.dataset.seed`` from ``--seed``;
- with ``--freeze-backbone``, sessions after the first train the head only (the backbone's lr and
  weight decay multiplied by 0 through ``optim_wrapper.paramwise_cfg``).

``--cfg-options`` go to every session, after the above. Before anything trains, every session
config is read and checked: each must hold more classes than the one before (a checkpoint of more
classes cannot load into fewer). At the end it prints, per session, the accuracy on all classes seen
so far, the average incremental accuracy and the forgetting, and writes them to ``DIR/summary.json``.
"""
import argparse
import json
import os
import os.path as osp
import re
import subprocess
import sys
from typing import List

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)


# lr and weight decay 0 for backbone.* (its BatchNorm statistics still follow the session's data)
FROZEN_BACKBONE = ['optim_wrapper.paramwise_cfg.custom_keys.backbone.lr_mult=0.0',
                   'optim_wrapper.paramwise_cfg.custom_keys.backbone.decay_mult=0.0']


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Run the sessions of a class-incremental recipe')
    parser.add_argument('recipe', help='folder of *session_1.py, *session_2.py, ...')
    parser.add_argument('--work-dir', required=True, help='session k trains in WORK_DIR/session_k')
    parser.add_argument('--gpus', type=int, default=1,
                        help='processes per session (1: tools/train.py; N > 1: tools/dist_train.sh with N)')
    parser.add_argument('--seed', type=int, default=0, help='training seed and exemplar choice')
    parser.add_argument('--freeze-backbone', action='store_true',
                        help='sessions after the first train the head only (backbone lr and weight decay 0)')
    parser.add_argument('--cfg-options', nargs='+', default=[], help='key=value pairs for every session')
    return parser.parse_args(argv)


def session_configs(recipe: str) -> List[str]:
    """The recipe's ``*session_<k>.py`` files in order of k; refused when k is not 1, 2, ... in turn or
    two files share a k."""
    if not osp.isdir(recipe):
        sys.exit(f'error: recipe {recipe!r} is not a folder: give a folder of *session_1.py, *session_2.py, ... '
                 f'(e.g. configs/incremental/ebv_extend)')
    found = {}
    for name in sorted(os.listdir(recipe)):
        match = re.fullmatch(r'(?:.*_)?session_(\d+)\.py', name)
        if match:
            k = int(match.group(1))
            if k in found:
                sys.exit(f'error: recipe {recipe!r} holds two configs of session {k} ({osp.basename(found[k])} and '
                         f'{name}): keep one per session')
            found[k] = osp.join(recipe, name)
    if sorted(found) != list(range(1, len(found) + 1)) or not found:
        sys.exit(f'error: recipe {recipe!r} holds sessions {sorted(found)}: it needs *session_1.py, *session_2.py, ... '
                 f'numbered from 1 without gaps')
    return [found[k] for k in sorted(found)]


def check_sessions(configs: List[str], options: List[str], gpus: int) -> int:
    """Read every session config (with ``options``); return the per-process batch size.

    Exits naming the session when one holds no more classes than the session before, or when the
    total batch does not split over ``gpus`` processes.
    """
    from mmengine.config import Config, DictAction
    parser = argparse.ArgumentParser()
    parser.add_argument('--o', nargs='+', action=DictAction, default={})
    overrides = parser.parse_args(['--o', *options]).o if options else {}
    previous, total = None, None
    for path in configs:
        cfg = Config.fromfile(path)
        cfg.merge_from_dict(overrides)
        classes = cfg.model.head.num_classes
        if previous is not None and classes <= previous[1]:
            sys.exit(f'error: {path} builds a head of {classes} classes, but the session before it '
                     f'({previous[0]}) ends with {previous[1]}: its checkpoint cannot load into fewer classes. '
                     f'Each session must hold every class seen so far plus its new ones: set '
                     f'model.head.num_classes above {previous[1]}')
        previous = (path, classes)
        total = cfg.get('total_batch_size', cfg.train_dataloader.batch_size)
    if gpus < 1 or total % gpus:
        sys.exit(f'error: --gpus {gpus}: the total batch size {total} (total_batch_size of the config) does not '
                 f'split into {gpus} equal per-process batches: use a number of processes that divides it, or set '
                 f'total_batch_size with --cfg-options')
    return total // gpus


def summarize(results_file: str) -> dict:
    """Per-session accuracy (%), average incremental accuracy and forgetting from a results file.

    Args:
        results_file (str): the last session's ``incremental.json``.
    """
    from mmebv.cls.metrics.incremental import read_history, session_scores
    rows = [dict(session=k, **row) for k, row in enumerate(session_scores(read_history(results_file)), start=1)]
    return dict(sessions=rows, average_incremental=rows[-1]['average_incremental'],
                forgetting=rows[-1]['forgetting'])


def main(argv=None) -> None:
    args = parse_args(argv)
    configs = session_configs(args.recipe)
    batch = check_sessions(configs, args.cfg_options, args.gpus)
    results = None
    for k, config in enumerate(configs, start=1):
        work_dir = osp.abspath(osp.join(args.work_dir, f'session_{k}'))
        options = [f'train_dataloader.batch_size={batch}', f'randomness.seed={args.seed}',
                   f'train_dataloader.dataset.seed={args.seed}',
                   f'val_evaluator.out_file={osp.join(work_dir, "incremental.json")}',
                   f'test_evaluator.out_file={osp.join(work_dir, "incremental.json")}']
        if k > 1:
            before = osp.abspath(osp.join(args.work_dir, f'session_{k - 1}'))
            pointer = osp.join(before, 'last_checkpoint')
            if not osp.isfile(pointer):
                sys.exit(f'error: session {k - 1} left no {pointer} naming its last checkpoint: keep the '
                         f'checkpoint hook of the recipe (it saves one every epoch)')
            with open(pointer) as f:
                checkpoint = f.read().strip()
            options += [f'load_from={checkpoint}', f'val_evaluator.history={results}',
                        f'test_evaluator.history={results}']
            if args.freeze_backbone:
                options += FROZEN_BACKBONE
        if args.gpus == 1:
            command = [sys.executable, osp.join(ROOT, 'tools', 'train.py'), config]
        else:
            command = ['bash', osp.join(ROOT, 'tools', 'dist_train.sh'), config, str(args.gpus)]
        command += ['--work-dir', work_dir, '--auto-scale-lr', '--cfg-options', *options, *args.cfg_options]
        print(f'== session {k}/{len(configs)}: {" ".join(command)}', flush=True)
        code = subprocess.run(command).returncode
        results = osp.join(work_dir, 'incremental.json')
        if code != 0 or not osp.isfile(results):
            why = f'exit code {code}' if code else f'it wrote no {results}'
            sys.exit(f'error: session {k} ({config}) failed ({why}); its log is in {work_dir}')
    summary = summarize(results)
    with open(osp.join(args.work_dir, 'summary.json'), 'w') as f:
        json.dump(summary, f, indent=1)
    print('session  classes  accuracy  avg_incremental  forgetting')
    for row in summary['sessions']:
        forgetting = '-' if row['forgetting'] is None else f'{row["forgetting"]:.2f}'
        print(f'{row["session"]:>7}  {row["num_classes"]:>7}  {row["accuracy"]:>8.2f}  '
              f'{row["average_incremental"]:>15.2f}  {forgetting:>10}')


if __name__ == '__main__':
    main()

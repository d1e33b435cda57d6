"""What tools/train.py and tools/test.py share: launcher arguments, config loading, CPU DDP, and the
checks that stop a run that cannot work before anything is built."""
import argparse
import os
import os.path as osp
from typing import Any

import torch
from mmengine.config import Config, DictAction
from mmengine.logging import print_log

from mmebv.utils.custom_imports import check_custom_imports
from mmebv.utils.files import writable_dir


class LaunchError(RuntimeError):
    """A run that cannot work as configured (the message names the fix); raised before the runner is built."""


def add_common_args(parser: argparse.ArgumentParser) -> None:
    """--work-dir, --cfg-options, --launcher and both spellings of --local-rank."""
    parser.add_argument('--work-dir', help='where logs and checkpoints go; default work_dirs/<config name>')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config entries, e.g. train_cfg.max_epochs=2 (key=value pairs)')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'], default='none',
                        help='job launcher: none for one process, pytorch under torchrun')
    # torch.distributed.launch passes --local_rank; torchrun sets LOCAL_RANK
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)


def load_config(args: argparse.Namespace) -> Config:
    """Read the config, apply --cfg-options, check its imports, apply --launcher and --work-dir."""
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    no_persistent_workers_without_workers(cfg)
    check_custom_imports(cfg)
    cfg.launcher = args.launcher
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])
    setup_cpu_distributed(cfg)
    return cfg


def no_persistent_workers_without_workers(cfg: Config) -> None:
    """Turn ``persistent_workers`` off in each dataloader that has no worker processes.

    Upstream configs pair ``persistent_workers=True`` with ``num_workers=2``; with
    ``num_workers=0`` (the usual setting on a CPU or in a debugger) torch refuses the pair
    (``ValueError: persistent_workers option needs num_workers > 0``), though without workers there
    is nothing to keep alive.
    """
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if isinstance(loader, dict) and loader.get('persistent_workers') and not loader.get('num_workers'):
            loader['persistent_workers'] = False


def setup_cpu_distributed(cfg: Config) -> None:
    """Make a multi-process launch work without GPUs (gloo, DDP without device ids, no SyncBN).

    mmengine would call ``torch.cuda.set_device`` while initialising the process group and wrap the
    model with ``device_ids=[LOCAL_RANK]``; neither works on a CPU.
    """
    if cfg.launcher == 'none' or torch.cuda.is_available():
        return
    env_cfg = cfg.setdefault('env_cfg', {})
    env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    if not torch.distributed.is_initialized():
        torch.distributed.init_process_group(backend='gloo')
    if cfg.get('model_wrapper_cfg') is None:
        cfg.model_wrapper_cfg = dict(type='MMDistributedDataParallel', device_ids=None,
                                     broadcast_buffers=False)
    if _replace_sync_bn(cfg.model):
        print_log('SyncBN does not run on CPU processes: using BN instead', logger='current')


def _replace_sync_bn(node: Any) -> bool:
    replaced = False
    if isinstance(node, dict):
        if node.get('type') in ('SyncBN', 'MMSyncBN'):
            node['type'] = 'BN'
            replaced = True
        for value in node.values():
            replaced |= _replace_sync_bn(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            replaced |= _replace_sync_bn(value)
    return replaced


def check_work_dir(cfg: Config) -> None:
    """Refuse a work dir where no file can be written (read-only, no permission, a file in the way).

    mmengine would fail on it while building the runner, or, for a resumed run, at the first save.

    Raises:
        LaunchError: naming the directory, why, and the fix.
    """
    problem = writable_dir(cfg.work_dir)
    if problem is not None:
        raise LaunchError(f'the work dir {cfg.work_dir} is not writable ({problem}): logs and checkpoints go there. '
                          f'Choose a writable one with --work-dir DIR (or fix its permissions)')


AMP_WRAPPERS = ('AmpOptimWrapper', 'mmengine.AmpOptimWrapper')


def check_amp(cfg: Config, from_flag: bool) -> None:
    """Refuse mixed precision where mmengine's ``AmpOptimWrapper`` cannot run (no GPU, NPU, MLU, MUSA).

    Args:
        cfg (Config): the config, after ``--amp`` has set its optimizer wrapper.
        from_flag (bool): whether ``--amp`` asked for it (else the config's ``optim_wrapper`` does).

    Raises:
        LaunchError: naming what AMP needs and how to train without it.
    """
    from mmengine.device import is_cuda_available, is_mlu_available, is_musa_available, is_npu_available
    from mmengine.optim import AmpOptimWrapper
    kind = (cfg.get('optim_wrapper') or {}).get('type')
    if kind not in AMP_WRAPPERS and kind is not AmpOptimWrapper:
        return
    if is_cuda_available() or is_npu_available() or is_mlu_available() or is_musa_available():
        return
    fix = ('train without --amp (in float32: slower on a GPU, the usual precision on a CPU)' if from_flag else
           "set the config's optim_wrapper.type to 'OptimWrapper' (and drop its loss_scale and dtype)")
    raise LaunchError('automatic mixed precision (AmpOptimWrapper) needs a CUDA GPU, or an Ascend NPU, Cambricon '
                      f'MLU or Moore Threads MUSA device; this machine has none: {fix}')

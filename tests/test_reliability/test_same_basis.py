"""The basis is bit-identical in every process, and a run resumed after an interruption ends where
the uninterrupted run ends."""
import os
import os.path as osp
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from helpers import ROOT
from mmengine.config import Config
from mmengine.hooks import Hook
from mmengine.registry import HOOKS
from mmengine.runner import Runner


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=2)
    from mmpretrain.registry import MODELS

    import mmebv.cls  # noqa: F401
    from mmebv.ebv import generate_ebv
    # N > d: the basis comes out of the optimiser, the path most exposed to numerical drift
    generated = generate_ebv(300, 64, seed=0)
    # a process configured with another seed still ends up with rank 0's basis
    head = MODELS.build(dict(type='EBVClsHead', num_classes=300, in_channels=16,
                             classifier=dict(embed_dim=64, basis=dict(type='EBV', seed=rank))))
    result = {}
    for name, basis in (('generated', generated), ('built', head.classifier.basis)):
        result[name] = [torch.empty_like(basis) for _ in range(2)]
        dist.all_gather(result[name], basis)
    result['rank0'] = generate_ebv(300, 64, seed=0)
    torch.save(result, osp.join(out, f'rank{rank}.pth'))
    dist.destroy_process_group()


@pytest.mark.e2e
def test_two_processes_hold_a_bit_identical_basis(tmp_path):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=2, join=True)
    result = torch.load(tmp_path / 'rank0.pth', weights_only=True)
    assert torch.equal(result['generated'][0], result['generated'][1])  # generation is deterministic
    assert torch.equal(result['built'][0], result['built'][1])
    assert torch.equal(result['built'][1], result['rank0'])


def _counting_worker(rank: int, port: int, out: str, cache_dir: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(1)
    dist.init_process_group('gloo', rank=rank, world_size=2)
    import mmebv.ebv.cache as cache_module
    from mmebv.classifiers import FixedClassifier
    cache_module.CACHE_MIN_WORK = 0  # cache this small basis too
    calls = dict(generate=0, read=0)
    generate, read = cache_module.generate_ebv, cache_module.load_basis

    def counting_generate(*args, **kwargs):
        calls['generate'] += 1
        return generate(*args, **kwargs)

    def counting_read(*args, **kwargs):
        calls['read'] += 1
        return read(*args, **kwargs)

    cache_module.generate_ebv, cache_module.load_basis = counting_generate, counting_read
    basis = dict(type='EBV', seed=0, budget=30, cache=cache_dir)
    first = FixedClassifier(8, 60, embed_dim=12, basis=basis).basis  # N > d: generated, then cached
    after_first = dict(calls)
    second = FixedClassifier(8, 60, embed_dim=12, basis=basis).basis  # a relaunch: read from the cache
    result = [None, None]
    dist.all_gather_object(result, dict(first=after_first, second=dict(calls), bases=[first, second]))
    if rank == 0:
        torch.save(result, osp.join(out, 'calls.pth'))
    dist.destroy_process_group()


@pytest.mark.e2e
def test_in_a_two_process_job_only_rank0_generates_or_reads_the_basis(tmp_path):
    cache_dir = tmp_path / 'cache'
    mp.spawn(_counting_worker, args=(_free_port(), str(tmp_path), str(cache_dir)), nprocs=2, join=True)
    rank0, rank1 = torch.load(tmp_path / 'calls.pth', weights_only=True)
    assert rank0['first'] == dict(generate=1, read=0) and rank0['second'] == dict(generate=1, read=1)
    assert rank1['first'] == rank1['second'] == dict(generate=0, read=0)  # it only receives
    for k in range(2):
        assert torch.equal(rank0['bases'][k], rank1['bases'][k])
    assert torch.equal(rank0['bases'][0], rank0['bases'][1]) and len(os.listdir(cache_dir)) == 1


@HOOKS.register_module(force=True)
class InterruptAfterEpoch(Hook):
    """Stands for a killed job: stops the process right after the checkpoint of ``epoch``."""

    priority = 'LOWEST'  # after CheckpointHook has written the checkpoint

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def after_train_epoch(self, runner) -> None:
        if runner.epoch == self.epoch:
            raise KeyboardInterrupt


def _demo_cfg(work_dir: str, name: str, **extra) -> Config:
    cfg = Config.fromfile(osp.join(ROOT, 'configs/ebv/smallconvnet_ebv_1xb128-5e_fashion-mnist.py'))
    loaders = {f'{loader}.{key}': value for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')
               for key, value in (('num_workers', 0), ('persistent_workers', False))}
    cfg.merge_from_dict({**loaders, 'train_dataloader.dataset.indices': 512,  # 4 iterations an epoch
                         'val_dataloader.dataset.indices': 500, 'train_cfg.max_epochs': 3,
                         'default_hooks.logger.interval': 1, 'randomness.deterministic': True, **extra})
    cfg.work_dir, cfg.experiment_name = work_dir, name
    return cfg


def _train(cfg: Config):
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner.model.state_dict(), runner.message_hub.get_scalar('val/accuracy/top1').current()


@pytest.mark.e2e
def test_kill_and_resume_ends_where_the_uninterrupted_run_ends(tmp_path):
    cwd = os.getcwd()
    os.chdir(ROOT)  # the config's data_root is relative to the project
    try:
        whole_state, whole_top1 = _train(_demo_cfg(str(tmp_path / 'whole'), 'whole'))
        cut = _demo_cfg(str(tmp_path / 'cut'), 'cut')
        cut.custom_hooks.append(dict(type='InterruptAfterEpoch', epoch=1))
        with pytest.raises(KeyboardInterrupt):
            _train(cut)
        resumed = _demo_cfg(str(tmp_path / 'cut'), 'resumed', resume=True,
                            load_from=str(tmp_path / 'cut' / 'epoch_1.pth'))
        resumed_state, resumed_top1 = _train(resumed)
    finally:
        os.chdir(cwd)
    assert whole_state.keys() == resumed_state.keys()
    different = [k for k in whole_state if not torch.equal(whole_state[k], resumed_state[k])]
    assert different == []
    assert resumed_top1 == whole_top1

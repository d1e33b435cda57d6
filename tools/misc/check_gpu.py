"""Check mmebv's GPU path in a few minutes: every classifier layer on every host, AMP, a 1M-class
step, the deferred checks and a 2-process run; one table of check, device, result, seconds and
peak memory.

    python tools/misc/check_gpu.py [--device cuda] [--small]

Checks (each a row; a failed row shows the error, its traceback follows the table):

- every registered classifier layer (the fixed classifier once per basis) on every host:
  mmpretrain's ``GeometricClsHead``, mmdet's box classifier (``Shared2FCBBoxHead`` with
  ``GeometricLinear``) and mask head (``GeometricFCNMaskHead``, layers whose logits take both signs:
  the others are refused there by design), mmseg's ``GeometricUPerHead``, ``GeometricFCNHead`` and
  ``GeometricFPNHead``. Each is built as mmengine's runner builds a model (on the CPU, then moved to
  the device) and takes a few optimizer steps (RiemannianSGD where the layer has Grassmann
  parameters, SGD otherwise) in fp32 and under AMP: mmengine's ``AmpOptimWrapper`` in bfloat16 and
  float16 on a GPU (what ``tools/train.py --amp`` uses), ``torch.autocast`` in bfloat16 on the CPU
  (one skipped float16 row there). A row passes when every loss is finite, every trainable tensor
  of the layer got a gradient, the parameters moved and stayed finite, and Grassmann subspaces are
  still orthonormal.
  ``--small`` makes the segmentation maps 16 x 16 instead of 32 x 32.
- a 1M-class EBV step (20k with ``--small``): 512-dim bfloat16 basis (1 GiB at 1M),
  ``ChunkedCrossEntropyLoss``; on a GPU the step's peak memory above the model must stay below the
  size of the (B, N) float32 logits, which the chunked loss never forms.
- the deferred checks, per layer in mmpretrain's head: a NaN feature at the first step raises
  ``FloatingPointError`` within 50 steps (the interval of a device), not at once, and on a GPU no
  step before the one that raises synchronises with the host (torch's sync debug mode). The CPU reads
  its checks at once, so there the rows set the device's interval and can check the count only.
- a 2-process run (``torch.distributed.run``, 2 processes, this script as the worker): every layer
  built inside the process group (rank 0 builds each basis, the others receive it), wrapped in DDP,
  a few steps on different data per rank; the bases and, after the steps, every parameter must be
  equal on both ranks. nccl on 2 GPUs (skipped with fewer); gloo on the CPU.

Exit status 0 when no check failed (skipped rows say why), 1 otherwise.
"""
import argparse
import gc
import json
import logging
import os
import os.path as osp
import subprocess
import sys
import time
import traceback
import warnings
from contextlib import contextmanager, nullcontext
from typing import Callable, List, Optional

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
sys.path.insert(0, ROOT)

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.optim import OptimWrapper  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

import mmebv.cls  # noqa: E402,F401
import mmebv.det  # noqa: E402,F401
import mmebv.seg  # noqa: E402,F401
from mmebv.classifiers import BASES, CLASSIFIERS, BasisProvider, register_basis  # noqa: E402
from mmebv.classifiers.checks import DEVICE_INTERVAL  # noqa: E402
from mmebv.classifiers.grassmann import ORTHONORMAL_TOL  # noqa: E402
from mmebv.engine.optimizers import RiemannianSGD, is_grassmann  # noqa: E402
from mmebv.grassmann import orthonormality_error  # noqa: E402

WORKER_TAG = 'CHECK_GPU_WORKER'
PRECISIONS = ('fp32', 'bf16-amp', 'fp16-amp')
# optimizer steps per host row: float16's loss scaler may skip the first ones on a GPU
STEPS = dict(cuda=4, cpu=2)


@register_basis('RandomUnit-check_gpu')
class RandomUnitBasis(BasisProvider):
    """Seeded random unit vectors, for the 1M-class step only: a step's cost does not depend on the
    basis's geometry (as in benchmark_heads.py), and a 1M-class EBV basis is a generation job of its own."""

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(0)
        return F.normalize(torch.randn(num_classes, dim, generator=generator), dim=1)


# every layer, the fixed one per basis; the loss terms on where the host adds them (the box head refuses them)
LAYERS = [dict(type=name) for name in sorted(CLASSIFIERS) if name != 'Fixed']
LAYERS += [dict(type='Fixed', basis=dict(type=name)) for name in sorted(BASES) if name != RandomUnitBasis.name]
WITH_TERMS = {'LargestMargin': dict(sample_margin_weight=1.0, zero_centroid_weight=1.0), 'DMLCRC': dict(ce_weight=1.0)}
WITHOUT_TERMS = {'LargestMargin': dict(sample_margin_weight=0.0, zero_centroid_weight=0.0),
                 'DMLCRC': dict(ce_weight=0.0)}
SEG_HEADS = [
    dict(type='GeometricUPerHead', in_channels=[8, 8, 8, 8], in_index=[0, 1, 2, 3], pool_scales=(1, 2), channels=16),
    dict(type='GeometricFCNHead', in_channels=8, in_index=3, channels=16, num_convs=1),
    dict(type='GeometricFPNHead', in_channels=[8, 8, 8, 8], in_index=[0, 1, 2, 3], feature_strides=[4, 8, 16, 32],
         channels=16),
]


class Skip(Exception):
    """A check that cannot run here; its message says why."""


def layer_name(cfg: dict) -> str:
    return cfg['type'] + (f"-{cfg['basis']['type']}" if 'basis' in cfg else '')


def with_terms(cfg: dict, terms: dict) -> dict:
    return dict(cfg, **terms.get(cfg['type'], {}))


def total_loss(losses: dict) -> torch.Tensor:
    """The sum of every ``loss*`` entry, as the hosts' parse_losses sums them."""
    return sum(value for key, value in losses.items() if key.startswith('loss'))


# ---------------------------------------------------------------------------------------------- hosts
# Each returns (module to train, the classifier layer in it, a closure giving the total loss on
# fixed inputs on ``device``).

def cls_host(classifier: dict, device: torch.device, num_classes: int = 5, channels: int = 16, batch: int = 6,
             seed: int = 0):
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    init_default_scope('mmpretrain')
    head = MODELS.build(dict(type='GeometricClsHead', num_classes=num_classes, in_channels=channels,
                             classifier=with_terms(classifier, WITH_TERMS)))
    head.init_weights()
    head.to(device).train()
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(batch, channels, generator=generator).to(device)
    samples = [DataSample().set_gt_label(i % num_classes).to(device) for i in range(batch)]
    return head, head.classifier, lambda: total_loss(head.loss((x, ), samples))


def box_host(classifier: dict, device: torch.device):
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    head = MODELS.build(dict(type='Shared2FCBBoxHead', in_channels=8, fc_out_channels=32, roi_feat_size=7,
                             num_classes=6, cls_predictor_cfg=dict(type='GeometricLinear',
                                                                   classifier=with_terms(classifier, WITHOUT_TERMS))))
    head.init_weights()
    head.to(device).train()
    generator = torch.Generator().manual_seed(0)
    rois = torch.randn(5, 8, 7, 7, generator=generator).to(device)
    labels = torch.tensor([0, 3, 5, 6, 6], device=device)  # 6: background
    targets = dict(rois=torch.rand(5, 5, generator=generator).to(device), labels=labels,
                   label_weights=torch.ones(5, device=device), bbox_targets=torch.randn(5, 4, generator=generator).to(
                       device), bbox_weights=torch.ones(5, 4, device=device))

    def loss():
        cls_score, bbox_pred = head(rois)
        return total_loss(head.loss(cls_score, bbox_pred, **targets))

    return head, head.fc_cls, loss


def mask_host(classifier: dict, device: torch.device):
    from mmdet.registry import MODELS
    init_default_scope('mmdet')
    head = MODELS.build(dict(type='GeometricFCNMaskHead', num_convs=1, in_channels=8, conv_out_channels=8,
                             num_classes=5, classifier=classifier))
    head.init_weights()
    head.to(device).train()
    generator = torch.Generator().manual_seed(0)
    feats = torch.randn(3, 8, 7, 7, generator=generator).to(device)
    targets = (torch.rand(3, 14, 14, generator=generator) > 0.5).float().to(device)
    labels = torch.tensor([0, 2, 4], device=device)
    return head, head.conv_logits, lambda: head.loss_mask(head(feats), targets, labels)


def seg_host(host: dict, classifier: dict, device: torch.device, size: int = 32):
    from mmengine.structures import PixelData
    from mmseg.registry import MODELS
    from mmseg.structures import SegDataSample
    init_default_scope('mmseg')
    head = MODELS.build(dict(host, num_classes=5, classifier=with_terms(classifier, WITH_TERMS)))
    head.init_weights()
    head.to(device).train()
    generator = torch.Generator().manual_seed(0)
    feats = [torch.randn(2, 8, size // s, size // s, generator=generator).to(device) for s in (1, 2, 4, 8)]
    samples = []
    for _ in range(2):
        labels = torch.randint(0, 5, (1, size, size), generator=generator)
        labels[0, :2] = 255  # ignored pixels
        sample = SegDataSample(gt_sem_seg=PixelData(data=labels))
        sample.set_metainfo(dict(img_shape=(size, size), pad_shape=(size, size)))
        samples.append(sample.to(device))
    return head, head.conv_seg, lambda: total_loss(head.loss(feats, samples, dict()))


def host_builders(small: bool) -> List[tuple]:
    """(host name, layer name, builder(device)) of every host row; ``small``: 16 x 16 segmentation maps."""
    rows, size = [], 16 if small else 32
    for cfg in LAYERS:
        name = layer_name(cfg)
        rows.append(('mmpretrain GeometricClsHead', name, lambda device, cfg=cfg: cls_host(cfg, device)))
        rows.append(('mmdet Shared2FCBBoxHead', name, lambda device, cfg=cfg: box_host(cfg, device)))
        if CLASSIFIERS[cfg['type']].signed_logits:  # a sigmoid mask loss needs logits of both signs
            rows.append(('mmdet GeometricFCNMaskHead', name, lambda device, cfg=cfg: mask_host(cfg, device)))
        for host in SEG_HEADS:
            rows.append((f"mmseg {host['type']}", name,
                         lambda device, cfg=cfg, host=host: seg_host(host, cfg, device, size)))
    return rows


def make_optimizer(params: list) -> torch.optim.Optimizer:
    """RiemannianSGD where a parameter holds subspaces (as GCR's configs), SGD otherwise."""
    if any(is_grassmann(p) for p in params):
        return RiemannianSGD(params, lr=0.01, momentum=0.9)
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


def optim_wrapper(optimizer, module: torch.nn.Module, device: torch.device, precision: str) -> tuple:
    """(mmengine optim wrapper, a function giving the context of one forward) for ``precision``."""
    if precision == 'fp32':
        return OptimWrapper(optimizer), nullcontext
    dtype = torch.bfloat16 if precision == 'bf16-amp' else torch.float16
    if device.type == 'cuda':
        from mmengine.optim import AmpOptimWrapper
        wrapper = AmpOptimWrapper(optimizer=optimizer, dtype=dtype)
        return wrapper, lambda: wrapper.optim_context(module)
    if dtype == torch.float16:
        raise Skip('float16 AMP needs CUDA (on the CPU autocast runs bfloat16)')
    return OptimWrapper(optimizer), lambda: torch.autocast(device.type, dtype=dtype)


def train_steps(build: Callable, device: torch.device, precision: str) -> str:
    """Build a host on ``device`` and take a few optimizer steps (:data:`STEPS`) at ``precision``;
    raise on any sign of a broken step, return a summary."""
    if precision == 'fp16-amp' and device.type != 'cuda':
        raise Skip('float16 AMP needs CUDA (on the CPU autocast runs bfloat16)')
    module, layer, loss_fn = build(device)
    params = [p for p in module.parameters() if p.requires_grad]
    trainable = {name: p for name, p in layer.named_parameters() if p.requires_grad}
    before = {name: p.detach().clone() for name, p in trainable.items()}
    wrapper, forward_context = optim_wrapper(make_optimizer(params), module, device, precision)
    losses, missing, steps = [], set(), STEPS[device.type]
    for _ in range(steps):  # OptimWrapper.update_params, with a look at the gradients before the step
        with forward_context():
            loss = loss_fn()
        wrapper.backward(loss)
        missing |= {name for name, p in trainable.items() if p.grad is None}
        wrapper.step()
        wrapper.zero_grad()
        losses.append(loss.detach().float().sum())  # mmdet's mask loss is (1, )
    losses = torch.stack(losses)
    if not torch.isfinite(losses).all():
        raise FloatingPointError(f'non-finite loss in the steps: {losses.tolist()}')
    if missing:
        raise AssertionError(f'no gradient reached {sorted(missing)} of {type(layer).__name__}')
    if not all(torch.isfinite(p).all() for p in trainable.values()):
        raise FloatingPointError('non-finite parameters after the steps')
    if trainable and not any((p.detach() != before[name]).any() for name, p in trainable.items()):
        raise AssertionError(f'{steps} steps left every parameter of {type(layer).__name__} unchanged')
    for p in trainable.values():
        if is_grassmann(p) and orthonormality_error(p.detach()) > ORTHONORMAL_TOL:
            raise AssertionError(f'subspaces off the Grassmannian after the steps: max |W Wᵀ - I| = '
                                 f'{float(orthonormality_error(p.detach())):.3g}')
    return f'loss {losses[0]:.3g} -> {losses[-1]:.3g}'


# ------------------------------------------------------------------------------------ 1M classes

def million_classes(device: torch.device, small: bool) -> str:
    from mmpretrain.registry import MODELS
    from mmpretrain.structures import DataSample
    init_default_scope('mmpretrain')
    num_classes, channels, batch = (20_000, 64, 16) if small else (1_000_000, 2048, 256)
    head = MODELS.build(dict(type='GeometricClsHead', num_classes=num_classes, in_channels=channels,
                             classifier=dict(type='Fixed', embed_dim=512, basis=dict(type=RandomUnitBasis.name),
                                             basis_dtype='bfloat16'),
                             loss=dict(type='ChunkedCrossEntropyLoss')))
    head.init_weights()
    head.to(device).train()
    basis = head.classifier.basis
    if basis.dtype != torch.bfloat16 or basis.device.type != device.type:
        raise AssertionError(f'the basis is {basis.dtype} on {basis.device}, bfloat16 on {device} expected')
    generator = torch.Generator().manual_seed(0)
    x = torch.randn(batch, channels, generator=generator).to(device)
    samples = [DataSample().set_gt_label(int(label)).to(device)
               for label in torch.randint(0, num_classes, (batch, ), generator=generator)]
    optimizer = torch.optim.SGD(head.parameters(), lr=0.01, momentum=0.9)
    logits_mib = batch * num_classes * 4 / 2**20
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        resident = torch.cuda.memory_allocated(device)
        torch.cuda.reset_peak_memory_stats(device)
    losses = []
    for _ in range(2):  # the second step has momentum buffers, as every later one
        loss = total_loss(head.loss((x, ), samples))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.detach().float())
    if not torch.isfinite(torch.stack(losses)).all():
        raise FloatingPointError(f'non-finite loss: {torch.stack(losses).tolist()}')
    if not torch.isfinite(head.classifier.projection.weight).all():
        raise FloatingPointError('non-finite projection after the steps')
    summary = (f'N={num_classes:,}, B={batch}, basis {basis.numel() * basis.element_size() / 2**20:.0f} MiB bf16, '
               f'loss {losses[-1]:.3g}')
    if device.type == 'cuda':
        above = (torch.cuda.max_memory_allocated(device) - resident) / 2**20
        if above >= logits_mib:
            raise AssertionError(f'the step took {above:.0f} MiB above the model, as much as the (B, N) float32 '
                                 f'logits ({logits_mib:.0f} MiB) that the chunked loss never forms')
        summary += f', step +{above:.0f} MiB (full logits: {logits_mib:.0f} MiB)'
    return summary


# ---------------------------------------------------------------------------------- deferred checks

@contextmanager
def host_syncs(device: torch.device):
    """Collect where the block synchronised the host with the device (CUDA: torch's sync debug
    mode, as ``file:line`` of the Python line that synchronised); nothing elsewhere."""
    found: List[str] = []
    if device.type != 'cuda':
        yield found
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter('always')
        torch.cuda.set_sync_debug_mode('warn')
        try:
            yield found
        finally:
            torch.cuda.set_sync_debug_mode('default')
            found.extend(f'{osp.relpath(w.filename, ROOT)}:{w.lineno}' for w in caught
                         if 'synchroniz' in str(w.message))


def deferred_nan(classifier: dict, device: torch.device) -> str:
    head, _, _ = cls_host(classifier, device)
    if device.type == 'cpu':  # the CPU reads at once (interval 1): give it a device's interval
        for module in head.modules():
            if hasattr(module, 'checks'):
                module.checks.interval = DEVICE_INTERVAL
    from mmpretrain.structures import DataSample
    optimizer = make_optimizer([p for p in head.parameters() if p.requires_grad])
    generator = torch.Generator().manual_seed(1)
    x = torch.randn(6, 16, generator=generator).to(device)
    poisoned = x.clone()
    poisoned[0, 0] = float('nan')
    samples = [DataSample().set_gt_label(i % 5).to(device) for i in range(6)]
    raised_at, synced = None, {}
    for step in range(1, DEVICE_INTERVAL + 1):
        with host_syncs(device) as syncs:
            try:
                loss = total_loss(head.loss((poisoned if step == 1 else x, ), samples))
                loss.backward()
                optimizer.step()
                optimizer.zero_grad()
            except FloatingPointError as error:
                if 'non-finite' not in str(error):
                    raise
                raised_at = step
        if raised_at is not None:
            break
        if syncs:
            synced[step] = syncs
    if raised_at is None:
        raise AssertionError(f'a NaN feature at step 1 raised no FloatingPointError in {DEVICE_INTERVAL} steps')
    if raised_at == 1:
        raise AssertionError('the NaN feature raised at once: the check read a device value at the step itself')
    if synced:
        first = min(synced)
        raise AssertionError(f'{len(synced)} of the {raised_at - 1} steps before the check synchronised the '
                             f'host (step {first}: {", ".join(sorted(set(synced[first])))})')
    return (f'raised at step {raised_at}' +
            (', no host sync before' if device.type == 'cuda' else ' (interval set; sync detection needs CUDA)'))


# ------------------------------------------------------------------------------------ 2 processes

def two_processes(device: torch.device) -> str:
    if device.type == 'cuda' and torch.cuda.device_count() < 2:
        raise Skip(f'needs 2 GPUs, this machine has {torch.cuda.device_count()}')
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONPATH=os.pathsep.join([ROOT, os.environ.get('PYTHONPATH', '')]))
    port = str(29500 + os.getpid() % 2000)
    command = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node=2', f'--master_port={port}',
               osp.abspath(__file__), '--worker', '--device', device.type]
    result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    output = result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line.startswith(WORKER_TAG)]
    if result.returncode != 0 or not lines:
        raise RuntimeError(f'torch.distributed.run exited {result.returncode}: ...{output[-2000:]}')
    return json.loads(lines[-1][len(WORKER_TAG):])['summary']


def worker(device_type: str, steps: int = 3) -> None:
    """One rank of :func:`two_processes`: raises on the first difference between the ranks."""
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel
    rank = int(os.environ['LOCAL_RANK'])
    if device_type == 'cuda':
        torch.cuda.set_device(rank)
        device, backend = torch.device('cuda', rank), 'nccl'
    else:
        device, backend = torch.device('cpu'), 'gloo'
    dist.init_process_group(backend)

    def same_on_every_rank(tensor: torch.Tensor, what: str) -> None:
        mine = tensor.detach().float().reshape(-1).to(device)
        theirs = [torch.empty_like(mine) for _ in range(dist.get_world_size())]
        dist.all_gather(theirs, mine)
        if not all(torch.equal(mine, other) for other in theirs):
            raise AssertionError(f'rank {rank}: {what} differs between the ranks')

    class Step(torch.nn.Module):  # DDP reduces the gradients of what its forward computes
        def __init__(self, head):
            super().__init__()
            self.head = head

        def forward(self, x, samples):
            return total_loss(self.head.loss((x, ), samples))

    def train(cfg: dict) -> None:  # a function: DDP's reducer is gone before the group is destroyed
        from mmpretrain.structures import DataSample
        head, layer, _ = cls_host(cfg, device, seed=rank)  # different data on each rank
        for name, buffer in layer.named_buffers():
            same_on_every_rank(buffer, f'{layer_name(cfg)} buffer {name} (built on rank 0 and broadcast)')
        model = DistributedDataParallel(Step(head), device_ids=[rank] if device_type == 'cuda' else None)
        optimizer = make_optimizer([p for p in model.parameters() if p.requires_grad])
        generator = torch.Generator().manual_seed(rank)
        for _ in range(steps):
            x = torch.randn(6, 16, generator=generator).to(device)
            labels = torch.randint(0, 5, (6, ), generator=generator)
            loss = model(x, [DataSample().set_gt_label(int(label)).to(device) for label in labels])
            if not torch.isfinite(loss):
                raise FloatingPointError(f'rank {rank}: {layer_name(cfg)} loss {loss.item()}')
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        for name, param in head.named_parameters():
            same_on_every_rank(param, f'{layer_name(cfg)} parameter {name} after {steps} DDP steps')

    for cfg in LAYERS:
        train(cfg)
    gc.collect()
    if rank == 0:
        summary = f'{len(LAYERS)} layers, 2 ranks, {backend}, {steps} DDP steps: bases and parameters equal'
        print(WORKER_TAG + json.dumps(dict(summary=summary)), flush=True)
    dist.destroy_process_group()


# ----------------------------------------------------------------------------------------- table

def run_check(name: str, device: torch.device, check: Callable[[], Optional[str]], rows: list,
              failures: list) -> None:
    """Run one check and print its row."""
    cuda = device.type == 'cuda'
    if cuda:
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
    start = time.perf_counter()
    try:
        detail = check()
        result = 'ok' + (f': {detail}' if detail else '')
    except Skip as skip:
        result = f'skipped: {skip}'
    except Exception as error:  # noqa: BLE001 -- every failure is a row; its traceback follows the table
        result = f'FAIL: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ""}'
        failures.append((name, traceback.format_exc()))
    try:
        if cuda:
            torch.cuda.synchronize(device)
    except RuntimeError as error:  # a device error surfaces here: it belongs to this row
        result = f'FAIL: {error}'
    seconds = time.perf_counter() - start
    peak = f'{torch.cuda.max_memory_allocated(device) / 2**20:.0f} MiB' if cuda else '-'
    row = (name, str(device), result, f'{seconds:.2f}', peak)
    rows.append(row)
    print(f'| {row[0]:<58} | {row[1]:<6} | {row[2]} | {row[3]} | {row[4]} |', flush=True)


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--device', default='cuda', help="the device to check, e.g. 'cuda', 'cuda:1', 'cpu' "
                        "(default: cuda)")
    parser.add_argument('--small', action='store_true',
                        help='20k classes instead of 1M in the large step (for a CPU run of the script itself)')
    parser.add_argument('--worker', action='store_true', help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def quiet() -> None:
    """Only errors from mmengine's logger (weight init logs every tensor, a scope change warns), none of
    the deprecation notes mmseg prints for every head built."""
    from mmengine.logging import MMLogger
    MMLogger.get_current_instance().setLevel(logging.ERROR)
    warnings.filterwarnings('ignore', '``build_loss`` would be deprecated soon')
    warnings.filterwarnings('ignore', 'Default ``avg_non_ignore`` is False')


def main(argv=None) -> int:
    args = parse_args(argv)
    quiet()
    try:
        device = torch.device(args.device)
    except RuntimeError as error:
        print(f'--device {args.device!r} is not a device torch knows ({error}): use cuda, cuda:N or cpu',
              file=sys.stderr)
        return 2
    if device.type not in ('cuda', 'cpu'):
        print(f'--device {args.device}: this script checks cuda (or cpu, for itself)', file=sys.stderr)
        return 2
    if device.type == 'cuda' and not torch.cuda.is_available():
        print(f'--device {args.device}: torch sees no CUDA device (torch {torch.__version__}, built for CUDA '
              f'{torch.version.cuda}); run it on a machine with a GPU, or with --device cpu --small to check '
              f'the script itself', file=sys.stderr)
        return 2
    if device.type == 'cuda' and (device.index or 0) >= torch.cuda.device_count():
        print(f'--device {args.device}: this machine has {torch.cuda.device_count()} CUDA device(s), numbered from 0',
              file=sys.stderr)
        return 2
    if args.worker:
        worker(device.type)  # its mmengine logger is quiet too
        return 0
    if device.type == 'cuda':
        if device.index is None:  # torch.cuda.set_device needs an index
            device = torch.device('cuda', torch.cuda.current_device())
        torch.cuda.set_device(device)
        print(f'# {torch.cuda.get_device_name(device)}, torch {torch.__version__}, CUDA {torch.version.cuda}')
    else:
        print(f'# CPU, torch {torch.__version__}')
    print(f'| {"check":<58} | {"device":<6} | result | seconds | peak memory |')
    print(f'|{"-" * 60}|{"-" * 8}|---|---|---|')
    rows, failures = [], []
    started = time.perf_counter()
    precisions = PRECISIONS if device.type == 'cuda' else PRECISIONS[:2]
    for host, layer, build in host_builders(args.small):
        for precision in precisions:
            run_check(f'{host} / {layer} / {precision}', device,
                      lambda build=build, precision=precision: train_steps(build, device, precision), rows, failures)
    if device.type != 'cuda':
        run_check('every layer on every host / fp16-amp', device, lambda: train_steps(None, device, 'fp16-amp'), rows,
                  failures)
    run_check(f'1M-class EBV step ({"20k with --small" if args.small else "1M"}), chunked loss, bf16 basis', device,
              lambda: million_classes(device, args.small), rows, failures)
    for cfg in LAYERS:
        run_check(f'deferred check: NaN feature / {layer_name(cfg)}', device, lambda cfg=cfg: deferred_nan(cfg, device),
                  rows, failures)
    run_check('2 processes (torch.distributed.run)', device, lambda: two_processes(device), rows, failures)
    counts = {kind: sum(row[2].startswith(kind) for row in rows) for kind in ('ok', 'skipped', 'FAIL')}
    print(f'\n{counts["ok"]} ok, {counts["skipped"]} skipped, {counts["FAIL"]} failed, '
          f'{time.perf_counter() - started:.0f} s')
    for name, trace in failures:
        print(f'\n--- {name}\n{trace}', file=sys.stderr)
    return 1 if counts['FAIL'] else 0


if __name__ == '__main__':
    sys.exit(main())

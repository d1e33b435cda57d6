"""Cost of a classifier head's train step: FC against EBV and GCR, from 1k to 1M classes, and the
head's share of a whole ResNet-50 train step.

    python tools/analysis_tools/benchmark_heads.py [--classes 1000,10000,100000,1000000] [--batch 256]
        [--in-channels 2048] [--steps 5] [--gcr-max-classes 10000] [--memory-budget-gib 16]
        [--whole-model-batch 16] [--skip-whole-model]

Head rows: one process, the same random features and labels for every head. For each head: the
median time of a full train step (forward, loss, backward to the features, optimizer step: SGD with
momentum; RiemannianSGD for GCR; gradients set to None between steps, as mmengine's OptimWrapper
does), the peak rise of resident memory during two more steps, and the memory the classifier holds
(parameters, their gradients, optimizer state, buffers). Ratios are to the FC head (mmpretrain's
LinearClsHead) at the same class count; the time ratio is to FC steps taken in turn with the head's
(one FC step after each of the head's), so that a drift of the machine's speed cancels. From 100k
classes on, the EBV heads also run with ``ChunkedCrossEntropyLoss`` (logits never held whole) and,
at 1M, with the basis in bfloat16. A head whose estimated memory exceeds --memory-budget-gib is not
run; the table says so with the arithmetic. The basis's values do not change a step's cost, so an
EBV head with N > d gets a seeded random unit basis (a provider registered here, for benchmarking
only): benchmark_ebv_generation.py measures generation. The build column is the head's
construction.

Whole-model rows: mmpretrain's ResNet-50 (ImageClassifier, 224 x 224 inputs) with the FC, EBV and
GCR heads at 1,000 classes, a full train step through the model's own train_step (data
preprocessor, loss, backward, optimizer), in turn with the FC model's as above.
"""
import argparse
import os.path as osp
import statistics
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmengine.optim import build_optim_wrapper  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402
from mmpretrain.structures import DataSample  # noqa: E402

import mmebv.cls  # noqa: E402,F401
import mmebv.engine  # noqa: E402,F401
from mmebv.classifiers import BasisProvider, register_basis  # noqa: E402
from mmebv.engine import RiemannianSGD  # noqa: E402
from mmebv.utils import Measure  # noqa: E402

CHUNKED_FROM = 100_000  # class counts from which the EBV heads also run with the chunked loss
FULL_LOGITS_UP_TO = 100_000  # beyond, EBV runs with the chunked loss only (the full logits are the point)


@register_basis('RandomUnit-benchmark')
class RandomUnitBasis(BasisProvider):
    """Seeded random unit vectors: the cost of a step does not depend on the basis's geometry."""

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        generator = torch.Generator().manual_seed(0)
        return F.normalize(torch.randn(num_classes, dim, generator=generator), dim=1)


def ebv(dim: int, num_classes: int, chunked: bool = False, half: bool = False, **classifier) -> dict:
    basis = dict(type='EBV') if num_classes <= dim else dict(type='RandomUnit-benchmark')
    cfg = dict(type='GeometricClsHead', classifier=dict(type='Fixed', embed_dim=dim, basis=basis, **classifier))
    if half:
        cfg['classifier']['basis_dtype'] = 'bfloat16'
    if chunked:
        cfg['loss'] = dict(type='ChunkedCrossEntropyLoss')
    return cfg


def variants(num_classes: int, in_channels: int, gcr_max_classes: int) -> list:
    """(label, head config) of every head measured at this class count."""
    out = [('FC', dict(type='LinearClsHead'))]
    dims = [512, 1024] + ([num_classes] if num_classes <= in_channels else [])
    if num_classes <= FULL_LOGITS_UP_TO:
        out += [(f'EBV d={d}', ebv(d, num_classes)) for d in dims]
    if num_classes <= in_channels:
        out.append((f'EBV d={in_channels}, no projection', ebv(in_channels, num_classes, with_projection=False)))
    if num_classes >= CHUNKED_FROM:
        out += [(f'EBV d={d}, chunked loss', ebv(d, num_classes, chunked=True)) for d in (512, 1024)]
    if num_classes > FULL_LOGITS_UP_TO:
        out.append(('EBV d=512, chunked loss, bf16 basis', ebv(512, num_classes, chunked=True, half=True)))
    if num_classes <= gcr_max_classes:
        out.append(('GCR k=8', dict(type='GeometricClsHead', classifier=dict(type='Grassmann', subspace_dim=8))))
    return out


def estimated_gib(cfg: dict, num_classes: int, in_channels: int, batch: int) -> float:
    """What a head needs at its peak, roughly: its tensors with gradients and momentum, and the
    logits with their gradient (and softmax) unless the loss is chunked."""
    subspaces = cfg.get('classifier', {}).get('subspace_dim', 1)  # k for GCR, 1 for a vector per class
    if cfg['type'] == 'LinearClsHead':
        held = 3 * num_classes * in_channels * 4
    elif cfg['classifier']['type'] == 'Grassmann':
        held = 3 * num_classes * in_channels * subspaces * 4
    else:
        classifier = cfg['classifier']
        held = num_classes * classifier['embed_dim'] * (2 if 'basis_dtype' in classifier else 4)
        held += 3 * in_channels * classifier['embed_dim'] * 4 if classifier.get('with_projection', True) else 0
    chunked = cfg.get('loss', {}).get('type') == 'ChunkedCrossEntropyLoss'
    logits = 0 if chunked else 3 * batch * num_classes * 4 * subspaces
    return (held + logits) / 2**30


def held_mib(head: torch.nn.Module, optimizer) -> float:
    """Parameters + gradients + optimizer state + buffers of the head, in MiB."""
    tensors = list(head.parameters()) + [p.grad for p in head.parameters() if p.grad is not None]
    states = optimizer.state.values() if optimizer else []
    tensors += [v for state in states for v in state.values() if torch.is_tensor(v)]
    tensors += list(head.buffers())
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


def timed(step, steps: int, baseline=None) -> tuple:
    """Median ms of ``steps`` calls of ``step`` after 2 warm-up calls, and, with a ``baseline`` step,
    the median ms of the baseline called right after each of them (the machine's speed drifts by
    tens of percent between runs here: a ratio of steps taken in turn does not)."""
    for _ in range(2):  # warm-up: allocates gradients and momentum, settles the allocator
        step()
    times, base_times = [], []
    for _ in range(steps):
        begin = time.perf_counter()
        step()
        times.append(time.perf_counter() - begin)
        if baseline:
            begin = time.perf_counter()
            baseline()
            base_times.append(time.perf_counter() - begin)
    return 1000 * statistics.median(times), 1000 * statistics.median(base_times) if baseline else None


def peak_mib(step, steps: int = 2) -> float:
    """The peak rise of resident memory during ``steps`` calls (timed apart: sampling disturbs timing)."""
    with Measure() as measure:
        for _ in range(steps):
            step()
    return measure.peak_mib


def head_step(cfg: dict, num_classes: int, in_channels: int, batch: int) -> tuple:
    """(train step of a head built from ``cfg``, the head, its optimizer, seconds to build it)."""
    start = time.perf_counter()
    head = MODELS.build(dict(cfg, num_classes=num_classes, in_channels=in_channels))
    build_seconds = time.perf_counter() - start
    params = list(head.parameters())  # an EBV head without projection has none: no optimizer step
    optimizer = RiemannianSGD(params, lr=0.01, momentum=0.9) if params else None  # SGD for non-Grassmann
    generator = torch.Generator().manual_seed(0)
    feats = torch.randn(batch, in_channels, generator=generator).requires_grad_(True)
    samples = [DataSample().set_gt_label(int(label))
               for label in torch.randint(0, num_classes, (batch, ), generator=generator)]

    def step():  # as mmengine's OptimWrapper.update_params: gradients set to None, not zeroed in place
        feats.grad = None
        if optimizer:
            optimizer.zero_grad()
        sum(v for k, v in head.loss((feats, ), samples).items() if 'loss' in k).backward()
        if optimizer:
            optimizer.step()

    return step, head, optimizer, build_seconds


def measure_head(cfg: dict, num_classes: int, in_channels: int, batch: int, steps: int, baseline=None) -> dict:
    """Step ms (and the baseline's, taken in turn), peak MiB, classifier MiB and build seconds of a head."""
    step, head, optimizer, build_seconds = head_step(cfg, num_classes, in_channels, batch)
    step_ms, baseline_ms = timed(step, steps, baseline)
    return dict(step_ms=step_ms, baseline_ms=baseline_ms, peak_mib=peak_mib(step),
                held_mib=held_mib(head, optimizer), build_s=build_seconds, step=step)


def whole_model_rows(batch: int, steps: int) -> None:
    """ResNet-50 + head train steps at 1,000 classes (224 x 224 inputs)."""
    print(f'\nResNet-50 (mmpretrain), 1,000 classes, batch {batch} at 224 x 224, full train step:')
    print('| model | step s | x FC | head ms | head share |\n|---|---|---|---|---|')
    heads = [('FC', dict(type='LinearClsHead'), 'SGD'),
             ('EBV d=1000', ebv(1000, 1000), 'SGD'),
             ('EBV d=512', ebv(512, 1000), 'SGD'),
             ('GCR k=8', dict(type='GeometricClsHead', classifier=dict(type='Grassmann', subspace_dim=8)),
              'RiemannianSGD')]
    generator = torch.Generator().manual_seed(0)
    inputs = torch.randint(0, 256, (batch, 3, 224, 224), generator=generator, dtype=torch.uint8)
    labels = torch.randint(0, 1000, (batch, ), generator=generator)
    data = dict(inputs=list(inputs), data_samples=[DataSample().set_gt_label(int(y)) for y in labels])
    fc_step = None
    for label, head, optimizer in heads:
        model = MODELS.build(dict(
            type='ImageClassifier', backbone=dict(type='ResNet', depth=50), neck=dict(type='GlobalAveragePooling'),
            head=dict(head, num_classes=1000, in_channels=2048),
            data_preprocessor=dict(mean=[123.675, 116.28, 103.53], std=[58.395, 57.12, 57.375], to_rgb=True)))
        wrapper = build_optim_wrapper(model, dict(optimizer=dict(type=optimizer, lr=0.01, momentum=0.9)))

        def step(model=model, wrapper=wrapper):
            model.train_step(data, wrapper)

        step_ms, fc_ms = timed(step, steps, fc_step)
        fc_step = fc_step or step
        head_ms = measure_head(dict(head), 1000, 2048, batch, steps)['step_ms']
        print(f'| ResNet-50 + {label} | {step_ms / 1000:.2f} | {step_ms / (fc_ms or step_ms):.3f} | {head_ms:.1f} | '
              f'{100 * head_ms / step_ms:.1f}% |', flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--classes', default='1000,10000,100000,1000000')
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--in-channels', type=int, default=2048)
    parser.add_argument('--steps', type=int, default=5, help='timed steps per head (median reported)')
    parser.add_argument('--gcr-max-classes', type=int, default=10000,
                        help='GCR holds N*d*k parameters: 100k x 2048 x 8 needs ~20 GB with SGD state')
    parser.add_argument('--memory-budget-gib', type=float, default=16.0,
                        help='heads estimated to need more are not run (the table gives the estimate)')
    parser.add_argument('--whole-model-batch', type=int, default=16)
    parser.add_argument('--skip-whole-model', action='store_true')
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f'batch {args.batch}, features {args.in_channels}, {torch.get_num_threads()} threads, '
          f'torch {torch.__version__}, {"cuda" if torch.cuda.is_available() else "cpu"} (CPU timings)')
    print('| classes | head | step ms | x FC | peak MiB | x FC | classifier MiB | x FC | build s |')
    print('|---|---|---|---|---|---|---|---|---|')
    for num_classes in (int(n) for n in args.classes.split(',')):
        fc = None
        for label, cfg in variants(num_classes, args.in_channels, args.gcr_max_classes):
            need = estimated_gib(cfg, num_classes, args.in_channels, args.batch)
            if need > args.memory_budget_gib:
                print(f'| {num_classes:,} | {label} | not run: needs about {need:.1f} GiB > '
                      f'{args.memory_budget_gib:g} GiB | | | | | | |', flush=True)
                continue
            row = measure_head(cfg, num_classes, args.in_channels, args.batch, args.steps, fc and fc['step'])
            fc = row if label == 'FC' else fc

            def ratio(key: str, digits: int = 2) -> str:  # to FC; '-' where FC did not run
                return f'{row[key] / fc[key]:.{digits}f}' if fc and fc[key] >= 1e-3 else '-'

            step_ratio = f'{row["step_ms"] / row["baseline_ms"]:.2f}' if row['baseline_ms'] else ratio('step_ms')
            print(f'| {num_classes:,} | {label} | {row["step_ms"]:.1f} | {step_ratio} | '
                  f'{row["peak_mib"]:.0f} | {ratio("peak_mib") if fc and fc["peak_mib"] >= 1 else "-"} | '
                  f'{row["held_mib"]:.1f} | {ratio("held_mib", 3)} | {row["build_s"]:.1f} |', flush=True)
    if not args.skip_whole_model:
        whole_model_rows(args.whole_model_batch, args.steps)


if __name__ == '__main__':
    main()

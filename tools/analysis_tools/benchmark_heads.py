"""Cost of a classifier head's train step: FC against EBV and GCR, from 1k to 100k classes.

    python tools/analysis_tools/benchmark_heads.py [--classes 1000,10000,100000] [--batch 256]
        [--in-channels 2048] [--steps 5] [--gcr-max-classes 10000]

One process, the same random features and labels for every head. For each head: the median time
of a full train step (forward, cross-entropy, backward to the features, optimizer step: SGD with
momentum, RiemannianSGD for GCR), the peak rise of resident memory during the timed steps, and
the memory the classifier holds (parameters, their gradients, optimizer state, buffers). Ratios
are to the FC head (mmpretrain's LinearClsHead) at the same class count. Basis generation (once,
before training) is not part of the step, and the basis's values do not change its cost: for N > d
the head gets a random unit basis through a basis file (as a user would pass the output of
tools/misc/generate_ebv.py --out), so the build column is file writing and loading, not
generation; benchmark_ebv_generation.py measures generation.
"""
import argparse
import os.path as osp
import statistics
import sys
import tempfile
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from mmpretrain.registry import MODELS  # noqa: E402

import mmebv.cls  # noqa: E402,F401
import mmebv.engine  # noqa: E402,F401
from mmebv.ebv import save_basis  # noqa: E402
from mmebv.engine import RiemannianSGD  # noqa: E402
from mmebv.utils import Measure  # noqa: E402


def variants(num_classes: int, in_channels: int, gcr_max_classes: int) -> list:
    """(label, head config) of every head measured at this class count."""
    out = [('FC', dict(type='LinearClsHead'))]
    dims = [512, 1024] + ([num_classes] if num_classes <= in_channels else [])
    out += [(f'EBV d={d}', dict(type='EBVClsHead', classifier=dict(embed_dim=d))) for d in dims]
    if num_classes <= in_channels:
        out.append((f'EBV d={in_channels}, no projection',
                    dict(type='EBVClsHead', classifier=dict(embed_dim=in_channels, with_projection=False))))
    if num_classes <= gcr_max_classes:
        out.append(('GCR k=8', dict(type='GrassmannClsHead', subspace_dim=8)))
    return out


def held_mib(head: torch.nn.Module, optimizer) -> float:
    """Parameters + gradients + optimizer state + buffers of the head, in MiB."""
    tensors = list(head.parameters()) + [p.grad for p in head.parameters() if p.grad is not None]
    states = optimizer.state.values() if optimizer else []
    tensors += [v for state in states for v in state.values() if torch.is_tensor(v)]
    tensors += list(head.buffers())
    return sum(t.numel() * t.element_size() for t in tensors) / 2**20


def measure(cfg: dict, num_classes: int, in_channels: int, batch: int, steps: int) -> dict:
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        dim = cfg.get('classifier', {}).get('embed_dim')
        if cfg['type'] == 'EBVClsHead' and num_classes > dim:
            path = osp.join(tmp, 'basis.pth')
            generator = torch.Generator().manual_seed(0)
            random_unit = F.normalize(torch.randn(num_classes, dim, generator=generator), dim=1)
            save_basis(path, random_unit, seed=0, method='random (benchmark only)')
            cfg = dict(cfg, classifier=dict(cfg['classifier'], basis=dict(type='EBV', file=path)))
        head = MODELS.build(dict(cfg, num_classes=num_classes, in_channels=in_channels))
    build_seconds = time.perf_counter() - start
    params = list(head.parameters())  # an EBV head without projection has none: no optimizer step
    optimizer = RiemannianSGD(params, lr=0.01, momentum=0.9) if params else None  # SGD for non-Grassmann
    generator = torch.Generator().manual_seed(0)
    feats = torch.randn(batch, in_channels, generator=generator).requires_grad_(True)
    labels = torch.randint(0, num_classes, (batch, ), generator=generator)

    def step():
        feats.grad = None
        if optimizer:
            optimizer.zero_grad(set_to_none=False)
        F.cross_entropy(head((feats, )), labels).backward()
        if optimizer:
            optimizer.step()

    for _ in range(2):  # warm-up: allocates gradients and momentum, settles the allocator
        step()
    times = []
    with Measure() as peak:
        for _ in range(steps):
            begin = time.perf_counter()
            step()
            times.append(time.perf_counter() - begin)
    return dict(step_ms=1000 * statistics.median(times), peak_mib=peak.peak_mib,
                held_mib=held_mib(head, optimizer), build_s=build_seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--classes', default='1000,10000,100000')
    parser.add_argument('--batch', type=int, default=256)
    parser.add_argument('--in-channels', type=int, default=2048)
    parser.add_argument('--steps', type=int, default=5, help='timed steps per head (median reported)')
    parser.add_argument('--gcr-max-classes', type=int, default=10000,
                        help='GCR holds N*d*k parameters: 100k x 2048 x 8 needs ~20 GB with SGD state')
    args = parser.parse_args()
    torch.manual_seed(0)
    print(f'batch {args.batch}, features {args.in_channels}, {torch.get_num_threads()} threads, '
          f'torch {torch.__version__}, {"cuda" if torch.cuda.is_available() else "cpu"} (CPU timings)')
    print('| classes | head | step ms | x FC | peak MiB | x FC | classifier MiB | x FC | build s |')
    print('|---|---|---|---|---|---|---|---|---|')
    for num_classes in (int(n) for n in args.classes.split(',')):
        fc = None
        for label, cfg in variants(num_classes, args.in_channels, args.gcr_max_classes):
            row = measure(cfg, num_classes, args.in_channels, args.batch, args.steps)
            fc = fc or row
            peak_ratio = f'{row["peak_mib"] / fc["peak_mib"]:.2f}' if fc['peak_mib'] >= 1 else '-'
            print(f'| {num_classes:,} | {label} | {row["step_ms"]:.1f} | {row["step_ms"] / fc["step_ms"]:.2f} | '
                  f'{row["peak_mib"]:.0f} | {peak_ratio} | '
                  f'{row["held_mib"]:.1f} | {row["held_mib"] / fc["held_mib"]:.3f} | {row["build_s"]:.1f} |',
                  flush=True)


if __name__ == '__main__':
    main()

"""Throughput and memory per rank of the class-sharded fixed classifier, in insightface's Partial FC
protocol: synthetic features, one training step of the classifier (forward, exact softmax
cross-entropy, backward to the features) per iteration, samples per second over all ranks and peak
memory per rank, as the classes and the ranks grow; beside it the unsharded head (``Fixed`` with
``chunked_cross_entropy``, one process) where it fits.

The "backbone" is the classifier's projection only: the figures are the classifier's cost, which is
what sharding changes (insightface's published figures include a ResNet-50).

Examples:
    # CPU, gloo, 2 and 4 processes, up to a million classes (a few minutes on 2 cores)
    python tools/analysis_tools/benchmark_sharded.py --classes 100000 1000000 --ranks 2 4 --unsharded
    # GPUs (one process per GPU, NCCL), to compare with Partial FC's 8 x V100 figures
    python tools/analysis_tools/benchmark_sharded.py --device cuda --backend nccl --ranks 8 \\
        --classes 1000000 5500000 10000000 --batch 128 --unsharded
"""
import argparse
import json
import os
import os.path as osp
import resource
import socket
import sys
import tempfile
import time

import torch
import torch.distributed as dist
import torch.multiprocessing as mp


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def _rss_mib() -> float:
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _step_unsharded(classifier, features, labels, args):
    from mmebv.losses import chunked_cross_entropy
    embedding = classifier.embed(features)  # one process holds the whole basis: the unsharded head's loss
    loss = chunked_cross_entropy(embedding, classifier.shard, labels, 1.0 / classifier.temperature, args.chunk)
    loss.mean().backward()


def _step_sharded(classifier, features, labels, args):
    classifier.cross_entropy(features, labels).mean().backward()


def _run(rank: int, world: int, port: int, args, classes: int, mode: str, out: str) -> None:
    os.environ.update(MASTER_ADDR='127.0.0.1', MASTER_PORT=str(port))
    torch.set_num_threads(args.threads)
    device = torch.device('cuda', rank) if args.device == 'cuda' else torch.device('cpu')
    if args.device == 'cuda':
        torch.cuda.set_device(device)
    if mode == 'sharded':
        dist.init_process_group(args.backend, rank=rank, world_size=world)
    from mmebv.classifiers import ShardedFixedClassifier
    base_rss = _rss_mib()
    started = time.perf_counter()
    # unsharded: no process group, so the layer holds the whole basis (the same vectors)
    classifier = ShardedFixedClassifier(args.dim, classes, embed_dim=args.dim, basis=dict(type=args.basis, seed=0),
                                        chunk=args.chunk).to(device)
    build_seconds = time.perf_counter() - started
    generator = torch.Generator(device=device).manual_seed(rank)
    features = torch.randn(args.batch, args.dim, generator=generator, device=device)
    labels = torch.randint(0, classes, (args.batch, ), generator=generator, device=device)
    step = _step_sharded if mode == 'sharded' else _step_unsharded
    if args.device == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
    for _ in range(args.warmup):
        step(classifier, features, labels, args)
    if mode == 'sharded':
        dist.barrier()
    if args.device == 'cuda':
        torch.cuda.synchronize(device)
    started = time.perf_counter()
    for _ in range(args.iters):
        step(classifier, features, labels, args)
    if args.device == 'cuda':
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - started
    result = dict(seconds=seconds, build_seconds=build_seconds,
                  memory_mib=(torch.cuda.max_memory_allocated(device) / 2**20 if args.device == 'cuda'
                              else _peak_rss_mib() - base_rss))
    if mode == 'sharded':
        gathered = [None] * world
        dist.all_gather_object(gathered, result)
        dist.destroy_process_group()
    else:
        gathered = [result]
    if rank == 0:
        seconds = max(r['seconds'] for r in gathered)
        summary = dict(mode=mode, classes=classes, ranks=world, samples_per_s=world * args.batch * args.iters / seconds,
                       memory_mib=max(r['memory_mib'] for r in gathered),
                       build_s=max(r['build_seconds'] for r in gathered))
        with open(out, 'w') as f:
            json.dump(summary, f)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--classes', type=int, nargs='+', default=[100000, 1000000], help='N values')
    parser.add_argument('--ranks', type=int, nargs='+', default=[2, 4], help='process counts of the sharded head')
    parser.add_argument('--unsharded', action='store_true', help='also time the unsharded head (one process)')
    parser.add_argument('--dim', type=int, default=512, help='d (and the feature size C). Default: 512')
    parser.add_argument('--batch', type=int, default=32, help='samples per rank per step. Default: 32')
    parser.add_argument('--iters', type=int, default=2, help='timed steps. Default: 2')
    parser.add_argument('--warmup', type=int, default=1, help='untimed steps first. Default: 1')
    parser.add_argument('--chunk', type=int, default=65536, help='classes per block. Default: 65536')
    parser.add_argument('--basis', default='SeededRows', help='indexed basis type. Default: SeededRows')
    parser.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    parser.add_argument('--backend', default='gloo', choices=['gloo', 'nccl'])
    parser.add_argument('--threads', type=int, default=1, help='torch threads per process (CPU). Default: 1')
    parser.add_argument('--out', help='also write the rows as JSON here')
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    if args.device == 'cuda' and max(args.ranks) > torch.cuda.device_count():
        sys.exit(f'--ranks {max(args.ranks)} needs as many GPUs, {torch.cuda.device_count()} visible')
    runs = [(classes, 1, 'unsharded') for classes in args.classes if args.unsharded]
    runs += [(classes, world, 'sharded') for classes in args.classes for world in args.ranks]
    rows = []
    print('| head | classes | ranks | samples/s (all ranks) | peak memory / rank (MiB) | build (s) |')
    print('|---|---:|---:|---:|---:|---:|')
    with tempfile.TemporaryDirectory() as tmp:
        for classes, world, mode in sorted(runs):
            out = osp.join(tmp, f'{mode}-{classes}-{world}.json')
            try:
                if mode == 'sharded':
                    mp.spawn(_run, args=(world, _free_port(), args, classes, mode, out), nprocs=world, join=True)
                else:
                    mp.spawn(_run, args=(1, 0, args, classes, mode, out), nprocs=1, join=True)
                with open(out) as f:
                    row = json.load(f)
            except Exception as error:  # e.g. out of memory: a row that says so
                row = dict(mode=mode, classes=classes, ranks=world, error=f'{type(error).__name__}: {error}'[:120])
            rows.append(row)
            if 'error' in row:
                print(f'| {mode} | {classes:,} | {world} | {row["error"]} | | |', flush=True)
            else:
                print(f'| {mode} | {classes:,} | {world} | {row["samples_per_s"]:.1f} | {row["memory_mib"]:.0f} | '
                      f'{row["build_s"]:.1f} |', flush=True)
    print(f'\nd={args.dim}, batch {args.batch} per rank, {args.iters} timed steps after {args.warmup}, '
          f'chunk {args.chunk}, '
          f'{args.basis} basis, {args.device}/{args.backend if args.device == "cuda" else "gloo"}, '
          f'{args.threads} thread(s) per process; memory: '
          + ('torch.cuda.max_memory_allocated' if args.device == 'cuda' else 'peak RSS growth after start-up'))
    if args.out:
        with open(args.out, 'w') as f:
            json.dump(rows, f, indent=1)


if __name__ == '__main__':
    main()

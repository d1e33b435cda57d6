"""Generate an EBV basis file and report its quality, or describe an existing basis file.

    python tools/misc/generate_ebv.py NUM_CLASSES DIM [--seed 0] [--method auto] [--budget EVALS]
                                      [--time-limit S] [--out FILE [--force]] [--plot FILE.png]
    python tools/misc/generate_ebv.py N_TOTAL DIM --extend OLD_FILE --out NEW_FILE [--seed 0] [--budget EVALS]
    python tools/misc/generate_ebv.py --check FILE

Prints the largest and mean pairwise |cos| of the basis beside the Welch bound (the smallest
largest-|cos| any NUM_CLASSES unit vectors in DIM dims can have), the time and the peak memory.
By default it spends more work than a head that generates its own basis (up to 2e13
multiply-adds instead of 2e12), for a better basis. With --out, it writes a basis file that a
classifier reads through ``basis=dict(type='EBV', file=FILE)``: an existing file is kept unless
--force, and the path is checked before anything is generated; a size that cannot fit in memory is
refused with the estimate. --check FILE describes a basis file (N, d, coherence, ratio to the
Welch bound, every validity check) and exits 1 when one fails. --extend OLD_FILE appends
N_TOTAL - N new vectors to the N of a basis file (new classes for a trained model): the first N rows
stay bit-identical, the new file records the old rows' checksum, and the coherence is printed beside
that of a fresh N_TOTAL x DIM basis (generated with the same budget) and the Welch bound.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from mmebv.ebv import (BasisFileError, basis_checksum, coherence, describe, extend_basis, generate_ebv,  # noqa: E402
                       inspect_basis_file, load_basis, save_basis)
from mmebv.ebv.extend import extension_budget  # noqa: E402
from mmebv.ebv.basis import METHODS, default_budget, estimate_memory, evaluation_work  # noqa: E402
from mmebv.ebv.metrics import block_rows, welch_bound  # noqa: E402
from mmebv.utils import Measure  # noqa: E402
from mmebv.utils.files import output_problem  # noqa: E402

# The tool's default budget: ten times the work a head spends on its own basis.
TOOL_WORK = 2e13
TOOL_EVALUATIONS = 3000
# Sizes from this much work (N^2 d multiply-adds) on get a memory and time estimate first.
LARGE_WORK = 1e10
PROGRESS_SECONDS = 10.0  # at most one progress line this often in a long phase


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('num_classes', type=int, nargs='?', help='number of vectors N (classes)')
    parser.add_argument('dim', type=int, nargs='?', help='their dimension d')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    parser.add_argument('--method', choices=METHODS, default='auto', help='generation method (default auto)')
    parser.add_argument('--budget', type=int,
                        help=f'refinement budget in objective evaluations of 2 N^2 d multiply-adds each (default: '
                        f'up to {TOOL_EVALUATIONS} and {TOOL_WORK:.0e} multiply-adds)')
    parser.add_argument('--time-limit', type=float,
                        help='stop refining after this many seconds (the basis then depends on the machine; '
                        'the file records where it stopped)')
    parser.add_argument('--out', help='write the basis file here (e.g. ebv_1000x1000.pth)')
    parser.add_argument('--force', action='store_true', help='replace an existing --out file')
    parser.add_argument('--plot', help='draw the histogram of pairwise angles into this PNG')
    parser.add_argument('--check', metavar='FILE', help='describe a basis file and check it; generate nothing')
    parser.add_argument('--extend', metavar='OLD_FILE',
                        help='append NUM_CLASSES - N vectors to the N of this basis file, its rows unchanged')
    parser.add_argument('--quiet', action='store_true', help='no progress output')
    args = parser.parse_args(argv)
    if args.check is None and (args.num_classes is None or args.dim is None):
        parser.error('give NUM_CLASSES and DIM to generate, or --check FILE to describe a file')
    return args


def angle_histogram(basis: torch.Tensor, bins: int = 180) -> torch.Tensor:
    """Counts of the pairwise angles between lines (0..90 degrees, i < j), block by block."""
    unit = F.normalize(basis.double(), dim=1)
    counts = torch.zeros(bins, dtype=torch.float64)
    rows = block_rows(len(unit))
    for start in range(0, len(unit), rows):
        block = unit[start:start + rows] @ unit[start:].T
        keep = torch.ones_like(block, dtype=torch.bool).triu(1)
        angles = torch.rad2deg(torch.arccos(block[keep].abs().clamp(max=1.0)))
        counts += torch.histc(angles, bins=bins, min=0.0, max=90.0).double()
    return counts


def plot(path: str, basis: torch.Tensor, meta: dict) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    counts = angle_histogram(basis)
    edges = torch.linspace(0, 90, len(counts) + 1)
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.bar(edges[:-1], counts, width=edges[1] - edges[0], align='edge')
    ax.set_yscale('log')
    ax.set_xlim(max(0.0, meta['min_angle_deg'] - 2), 90)
    ax.set_xlabel('angle between class vectors (degrees)')
    ax.set_ylabel('pairs')
    ax.set_title(f'N={meta["num_classes"]}, d={meta["dim"]}: max |cos| {meta["coherence_max"]:.4f}, '
                 f'Welch {meta["welch_bound"]:.4f}')
    fig.tight_layout()
    fig.savefig(path, dpi=120)


def available_memory() -> int:
    """Bytes the system can still give (MemAvailable of /proc/meminfo), or 0 when unknown."""
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def multiply_adds_per_second(dim: int) -> float:
    """This machine's rate on the generator's main product, measured on a small block."""
    a, b = torch.randn(1024, dim), torch.randn(dim, 4096)
    a @ b
    began = time.perf_counter()
    for _ in range(3):
        a @ b
    return 3 * 1024 * dim * 4096 / max(time.perf_counter() - began, 1e-9)


def seconds_per_coherence_block(num_classes: int, dim: int) -> float:
    """Time of one block of the coherence over all pairs, measured on a block of its size: (rows, d)
    against (N, d) in float32 with the |cos|, max and sum passes (memory-bound at a large N, where a
    small product's rate would promise 3x too little time)."""
    rows = block_rows(num_classes)
    unit = F.normalize(torch.randn(min(num_classes, 2**16), dim), dim=1)
    columns = unit.shape[0]
    began = time.perf_counter()
    block = (unit[:rows] @ unit.T).abs_()
    block.max().item()
    block.sum(dtype=torch.float64).item()
    return (time.perf_counter() - began) * num_classes / columns  # the real block has N columns


class PhaseProgress:
    """Prints how far a long phase has come, at most every ``PROGRESS_SECONDS``: rows done, the time
    so far and the time left at the rate so far (every row costs the same), and a last line with its
    time once it has printed any. Call it with (rows done, rows in all).

    Args:
        what (str): the phase, as the lines name it.
        stream: where to print. Defaults to stderr.
    """

    def __init__(self, what: str, stream=None) -> None:
        self.what, self.stream = what, stream or sys.stderr
        self.began = self.last = time.perf_counter()
        self.printed = False

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        seconds = now - self.began
        if done < total and now - self.last >= PROGRESS_SECONDS:
            self.last, self.printed = now, True
            left = seconds / done * (total - done)
            print(f'[generate_ebv] {self.what}: {done}/{total} rows ({100 * done / total:.0f}%), {seconds:.0f} s, '
                  f'about {left:.0f} s left', file=self.stream, flush=True)
        elif done >= total and self.printed:
            print(f'[generate_ebv] {self.what}: done in {seconds:.0f} s', file=self.stream, flush=True)


def check_out_path(path: str, force: bool) -> None:
    """Refuse, before any work, an --out that exists (without --force) or cannot be written."""
    problem = output_problem(path, force, '--out', 'nothing was generated')
    if problem:
        hint = f' (--check {path} describes what it holds)' if osp.isfile(path) else ''
        sys.exit(problem + hint + '.')


def check_resources(num_classes: int, dim: int, budget: int, quiet: bool) -> None:
    """For a very large N, estimate memory and time first, and refuse what cannot fit."""
    if float(num_classes)**2 * dim < LARGE_WORK:
        return
    refining = budget if num_classes > dim else 0
    need, have = estimate_memory(num_classes, dim, refining), available_memory()
    if have and need > have:
        unrefined = estimate_memory(num_classes, dim, 0)
        fixes = ([f'--budget 0 (the algebraic start as it is needs about {unrefined / 2**30:.1f} GiB)']
                 if refining and unrefined <= have else []) + ['a smaller N or d', 'a machine with more memory']
        sys.exit(f'{num_classes} x {dim} with a budget of {refining} evaluations needs about {need / 2**30:.1f} GiB, '
                 f'but {have / 2**30:.1f} GiB are available; nothing was generated. Use {", ".join(fixes[:-1])} '
                 f'or {fixes[-1]}.')
    rate = multiply_adds_per_second(min(dim, 1024))
    # elementwise work on each cosine (exp and log of a p-norm) roughly doubles the products' time in
    # the refinement's evaluations; the coherence over all pairs is timed on one of its blocks
    refine_seconds = 2 * evaluation_work(num_classes, dim) * refining / rate
    measure_seconds = seconds_per_coherence_block(num_classes, dim) * -(-num_classes // block_rows(num_classes))
    if not quiet:
        refine = (f'at most {refine_seconds:.0f} s refining ({refining} evaluations; a stage ends early once it stops '
                  f'improving), then ' if refining else '')
        print(f'estimate: {need / 2**30:.1f} GiB at the peak ({have / 2**30:.1f} GiB available); {refine}about '
              f'{measure_seconds:.0f} s measuring the coherence over all pairs, on this machine '
              f'({rate / 1e9:.0f} G multiply-adds/s measured); progress every {PROGRESS_SECONDS:.0f} s', flush=True)


def check_file(path: str) -> int:
    found = inspect_basis_file(path)
    meta, basis, stats = found['meta'], found['basis'], found['coherence']
    print(f'file        {path}')
    if basis is not None and basis.dim() == 2:
        num, dim = basis.shape
        welch = welch_bound(int(num), int(dim)) if num > 0 and dim > 0 else 0.0
        print(f'N={num} d={dim} seed={meta.get("seed")} method={meta.get("method")}'
              + (f' budget={meta["budget"]}' if meta.get('budget') is not None else ''))
        if stats is not None:
            ratio = f'{stats["max"] / welch:.3f} x Welch' if welch > 0 else 'Welch bound is 0: orthonormal'
            print(f'max |cos|   {stats["max"]:.3e}   ({ratio})')
            print(f'mean |cos|  {stats["mean"]:.3e}')
        print(f'Welch bound {welch:.3e}')
        if isinstance(meta.get('generation'), dict):
            print(f'generation  {meta["generation"]}')
    failed = 0
    for name, passed, detail in found['verdicts']:
        failed += not passed
        print(f'[{"ok" if passed else "FAILED"}] {name}: {detail}')
    print('valid: usable as a basis file' if not failed else f'INVALID: {failed} check(s) failed')
    return 1 if failed else 0


def ratio_text(value: float, welch: float) -> str:
    return f'{value / welch:.3f} x Welch' if welch > 0 else 'Welch bound is 0: orthonormal'


def extend_file(args: argparse.Namespace) -> int:
    """--extend: the old file's rows, then NUM_CLASSES - N new ones; compared with a fresh basis."""
    total, dim = args.num_classes, args.dim
    try:
        old, old_meta = load_basis(args.extend)
    except (FileNotFoundError, BasisFileError) as error:
        sys.exit(f'--extend {args.extend}: {error}')
    num, old_dim = old.shape
    if old_dim != dim:
        sys.exit(f'--extend {args.extend} holds vectors of d={old_dim}, but DIM={dim} was given: an extension keeps '
                 f'the old vectors, so it has their d; give DIM={old_dim}')
    if total <= num:
        sys.exit(f'--extend {args.extend} already holds {num} vectors: NUM_CLASSES={total} must be more '
                 f'(the old {num} plus the new ones)')
    budget = extension_budget(num, total, dim, TOOL_WORK, TOOL_EVALUATIONS) if args.budget is None else args.budget
    info = {}
    with Measure() as measure:
        basis = extend_basis(old, total, seed=args.seed, budget=budget, time_limit=args.time_limit,
                             verbose=not args.quiet, info=info)
    if not torch.equal(basis[:num], old):  # the promise of the tool, checked on what is written
        raise RuntimeError('the extension changed an old row')
    extends = dict(num_classes=num, dim=dim, checksum=basis_checksum(old), file=osp.abspath(args.extend),
                   seed=old_meta.get('seed'), method=old_meta.get('method'))
    extra = dict(budget=info.get('budget'), generation=info, extends=extends)
    if args.out:
        meta = save_basis(args.out, basis, seed=args.seed, method='extend', **extra)
    else:
        meta = describe(basis, seed=args.seed, method='extend')
    fresh_budget = default_budget(total, dim, TOOL_WORK, TOOL_EVALUATIONS) if args.budget is None else args.budget
    with Measure() as fresh_measure:
        fresh = generate_ebv(total, dim, seed=args.seed, budget=fresh_budget, time_limit=args.time_limit)
    fresh_max = coherence(fresh)['max']
    welch = meta['welch_bound']
    print(f'extended {num} -> {total} vectors in d={dim} ({info["method"]}; {info.get("evaluations")} of '
          f'{info.get("budget")} evaluations, stopped: {info.get("stopped")}); rows 0..{num - 1} bit-identical to '
          f'{args.extend}')
    print(f'max |cos|   {meta["coherence_max"]:.3e}   ({ratio_text(meta["coherence_max"], welch)})   extended')
    print(f'max |cos|   {fresh_max:.3e}   ({ratio_text(fresh_max, welch)})   fresh {total} x {dim} basis, seed '
          f'{args.seed}, {fresh_budget} evaluations')
    print(f'max |cos|   {info["old_coherence"]:.3e}   the old {num} rows among themselves (a floor for the extension)')
    print(f'Welch bound {welch:.3e}   ({total} in {dim})')
    print(f'time        {measure.seconds:.3f} s extending, {fresh_measure.seconds:.3f} s generating the fresh basis')
    if args.out:
        print(f'saved to    {args.out} (sha256 {meta["checksum"][:16]}..., extends {num} rows sha256 '
              f'{extends["checksum"][:16]}...)')
    return 0


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.check:
        return check_file(args.check)
    if args.out:
        check_out_path(args.out, args.force)
    num, dim = args.num_classes, args.dim
    if num < 1 or dim < 1:
        sys.exit(f'NUM_CLASSES and DIM must be positive, got {num} and {dim}')
    if args.extend:
        return extend_file(args)
    budget = default_budget(num, dim, TOOL_WORK, TOOL_EVALUATIONS) if args.budget is None else args.budget
    check_resources(num, dim, budget, args.quiet)
    info = {}
    with Measure() as measure:
        basis = generate_ebv(num, dim, seed=args.seed, method=args.method, budget=budget,
                             time_limit=args.time_limit, verbose=not args.quiet, info=info)
    extra = dict(budget=info.get('budget'), generation=info)
    progress = None if args.quiet else PhaseProgress('coherence over all pairs')
    began = time.perf_counter()
    if args.out:
        meta = save_basis(args.out, basis, progress=progress, seed=args.seed, method=args.method, **extra)
    else:
        meta = dict(describe(basis, seed=args.seed, method=args.method, progress=progress), **extra)
    measured = time.perf_counter() - began
    welch = meta['welch_bound']
    ratio = f'{meta["coherence_max"] / welch:.3f} x Welch' if welch > 0 else 'Welch bound is 0: orthonormal'
    kept = ' (no evaluated point beat the start: the start is returned)' if info.get('improved') is False else ''
    print(f'N={meta["num_classes"]} d={meta["dim"]} seed={args.seed} method={args.method} -> {info.get("method")}, '
          f'start {info.get("start")}, {info.get("evaluations")} of {info.get("budget")} evaluations, '
          f'stopped: {info.get("stopped")}{kept}')
    print(f'max |cos|   {meta["coherence_max"]:.3e}   ({ratio})')
    print(f'mean |cos|  {meta["coherence_mean"]:.3e}')
    print(f'Welch bound {welch:.3e}')
    print(f'time        {measure.seconds:.3f} s generating, {measured:.3f} s measuring the coherence')
    print(f'peak memory {measure.peak_mib:.0f} MiB above the start')
    if args.out:
        print(f'saved to    {args.out} (sha256 {meta["checksum"][:16]}...)')
    if args.plot:
        plot(args.plot, basis, meta)
        print(f'histogram   {args.plot}')
    return 0


if __name__ == '__main__':
    sys.exit(main())

"""Generate an EBV basis file and report its quality.

    python tools/misc/generate_ebv.py NUM_CLASSES DIM [--seed 0] [--method auto] [--out FILE]
                                      [--plot FILE.png]

Prints the largest and mean pairwise |cos| of the basis beside the Welch bound (the smallest
largest-|cos| any NUM_CLASSES unit vectors in DIM dims can have), the time and the peak memory.
With --out, writes a basis file that EBVClsHead reads through ``basis_file=FILE``; with --plot, draws
the histogram of the pairwise angles.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from mmebv.ebv import describe, generate_ebv, save_basis  # noqa: E402
from mmebv.ebv.basis import METHODS  # noqa: E402
from mmebv.ebv.metrics import block_rows  # noqa: E402
from mmebv.utils import Measure  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('num_classes', type=int, help='number of vectors N (classes)')
    parser.add_argument('dim', type=int, help='their dimension d')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    parser.add_argument('--method', choices=METHODS, default='auto', help='generation method (default auto)')
    parser.add_argument('--steps', type=int, help='refinement iterations when N > d (default: the method\'s)')
    parser.add_argument('--out', help='write the basis file here (e.g. ebv_1000x1000.pth)')
    parser.add_argument('--plot', help='draw the histogram of pairwise angles into this PNG')
    parser.add_argument('--quiet', action='store_true', help='no progress output')
    return parser.parse_args()


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


def main() -> None:
    args = parse_args()
    with Measure() as measure:
        basis = generate_ebv(args.num_classes, args.dim, seed=args.seed, method=args.method, steps=args.steps,
                             verbose=not args.quiet)
    if args.out:
        meta = save_basis(args.out, basis, seed=args.seed, method=args.method)
    else:
        meta = describe(basis, seed=args.seed, method=args.method)
    welch = meta['welch_bound']
    ratio = f'{meta["coherence_max"] / welch:.3f} x Welch' if welch > 0 else 'Welch bound is 0: orthonormal'
    print(f'N={meta["num_classes"]} d={meta["dim"]} seed={args.seed} method={args.method}')
    print(f'max |cos|   {meta["coherence_max"]:.3e}   ({ratio})')
    print(f'mean |cos|  {meta["coherence_mean"]:.3e}')
    print(f'Welch bound {welch:.3e}')
    print(f'time        {measure.seconds:.3f} s')
    print(f'peak memory {measure.peak_mib:.0f} MiB above the start')
    if args.out:
        print(f'saved to    {args.out} (sha256 {meta["checksum"][:16]}...)')
    if args.plot:
        plot(args.plot, basis, meta)
        print(f'histogram   {args.plot}')


if __name__ == '__main__':
    main()

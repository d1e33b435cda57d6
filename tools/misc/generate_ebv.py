"""Generate an EBV basis file and report its quality.

    python tools/misc/generate_ebv.py NUM_CLASSES DIM [--seed 0] [--method auto] [--out FILE]

Prints the largest and mean pairwise |cos| of the basis beside the Welch bound (the smallest
largest-|cos| any NUM_CLASSES unit vectors in DIM dims can have). With --out, writes a basis file
that EBVClsHead reads through ``basis_file=FILE``.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmebv.ebv import describe, generate_ebv, save_basis  # noqa: E402
from mmebv.ebv.basis import METHODS  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('num_classes', type=int, help='number of vectors N (classes)')
    parser.add_argument('dim', type=int, help='their dimension d')
    parser.add_argument('--seed', type=int, default=0, help='random seed (default 0)')
    parser.add_argument('--method', choices=METHODS, default='auto', help='generation method (default auto)')
    parser.add_argument('--steps', type=int, default=500, help='optimisation steps when N > d (default 500)')
    parser.add_argument('--out', help='write the basis file here (e.g. ebv_1000x1000.pth)')
    parser.add_argument('--quiet', action='store_true', help='no progress output')
    return parser.parse_args()


def main() -> None:
    args = parse_args()
    start = time.perf_counter()
    basis = generate_ebv(args.num_classes, args.dim, seed=args.seed, method=args.method, steps=args.steps,
                         verbose=not args.quiet)
    seconds = time.perf_counter() - start
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
    print(f'time        {seconds:.3f} s')
    if args.out:
        print(f'saved to    {args.out} (sha256 {meta["checksum"][:16]}...)')


if __name__ == '__main__':
    main()

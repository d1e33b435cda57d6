"""Convert one of the EBV authors' basis pickles (eq_<d>_<N>.pkl) into an mmebv basis file.

    python tools/model_converters/ebv_official_basis.py eq_1000_1000.pkl ebv_official_1000x1000.pth
    python tools/model_converters/ebv_official_basis.py eq_81_81.pkl coco_mask_basis.pth --rows 0:80

The authors name their files with the dimension FIRST: eq_100_1000.pkl holds 1000 vectors in
d = 100. The pickle is read without running any of its code (ebv_official_pickle.py beside this
script), on a machine with or without CUDA; its rows are re-normalised as the authors' code does
before use. Prints N, d, the coherence beside the Welch bound and the config lines that use the written file; the file
records the source's name and SHA-256.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from ebv_official_pickle import OfficialBasisError, import_official_basis, official_name_sizes  # noqa: E402

from mmebv.utils.files import output_problem  # noqa: E402


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('in_file', help="the authors' basis pickle, eq_<d>_<N>.pkl")
    parser.add_argument('out_file', help='the mmebv basis file to write (*.pth)')
    parser.add_argument('--rows', help='keep rows A:B only (e.g. 0:80: the 80 mask-classifier rows of the '
                                       "authors' COCO basis eq_81_81.pkl)")
    parser.add_argument('--force', action='store_true', help='replace out_file if it exists')
    return parser.parse_args()


def config_lines(meta: dict, out: str) -> list:
    """The config lines that build a classifier on the written basis."""
    n, d = meta['num_classes'], meta['dim']
    basis = f"basis=dict(type='EBV', file='{out}')"
    return [
        f"classification head: head=dict(type='EBVClsHead', num_classes={n}, "
        f'classifier=dict(embed_dim={d}, temperature=0.07, {basis}))',
        f'  on the command line: --cfg-options model.head.num_classes={n} model.head.classifier.embed_dim={d} '
        f'model.head.classifier.basis.file={out}',
        f"Mask R-CNN box head (N = classes + background, background last): cls_predictor_cfg=dict(type='EBVLinear', "
        f'embed_dim={d}, temperature=0.07, {basis})',
        f"mask / decode heads: classifier=dict(embed_dim={d}, temperature=0.07, {basis})",
        f'a head with fewer than {n} classes uses the first ones with '
        f"basis=dict(type='EBV', file='{out}', num_vectors={n})",
    ]


def main() -> None:
    args = parse_args()
    problem = output_problem(args.out_file, args.force, 'out_file', 'nothing was converted')
    if problem:
        sys.exit(f'error: {problem}.')
    try:
        meta = import_official_basis(args.in_file, args.out_file, rows=args.rows)
    except (OfficialBasisError, ValueError, FileNotFoundError) as error:
        sys.exit(f'error: {error}')
    n, d = meta['num_classes'], meta['dim']
    source_n, source_d = meta['source_shape']
    print(f"{meta['source']} (sha256 {meta['source_sha256']}): {source_n} vectors in d = {source_d}, saved on "
          f"{meta['source_location']}; row norms within {meta['source_norm_error']:.1e} of 1, re-normalised")
    named = official_name_sizes(args.in_file)
    if named and named != (source_n, source_d):
        print(f'warning: the name says {named[0]} vectors in d = {named[1]} (eq_<d>_<N>.pkl) but the file holds '
              f'{source_n} x {source_d}: was it renamed?')
    if (n, d) != (source_n, source_d):
        print(f"kept rows {meta['rows']}: N = {n}")
    welch = meta['welch_bound']
    ratio = f"{meta['coherence_max'] / welch:.3f} x Welch" if welch > 0 else 'N <= d: orthonormal is possible'
    print(f"N = {n}, d = {d}: coherence (max |cos|) {meta['coherence_max']:.6f}, mean |cos| "
          f"{meta['coherence_mean']:.6f}, Welch bound {welch:.6f} ({ratio})")
    print(f"wrote {args.out_file} (basis sha256 {meta['checksum']})")
    print('use it:')
    for line in config_lines(meta, args.out_file):
        print('  ' + line)


if __name__ == '__main__':
    main()

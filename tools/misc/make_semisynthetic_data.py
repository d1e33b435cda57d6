"""Build a small semi-synthetic ImageNet, COCO or ADE20K set from real Fashion-MNIST items.

    python tools/misc/make_semisynthetic_data.py imagenet [--out data/imagenet] [--train 200 --val 50]
    python tools/misc/make_semisynthetic_data.py coco     [--out data/coco]
    python tools/misc/make_semisynthetic_data.py ade20k   [--out data/ade/ADEChallengeData2016]

The default --out is where mmdet's and mmseg's configs look, so they run on it unchanged. A folder
this tool did not make is never overwritten. See mmebv/data/semisynthetic.py for the labels.
"""
import argparse
import os.path as osp
import sys
import time

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmebv.data.semisynthetic import make_ade20k, make_coco, make_imagenet  # noqa: E402

DEFAULT_OUT = {'imagenet': 'data/imagenet', 'coco': 'data/coco', 'ade20k': 'data/ade/ADEChallengeData2016'}


def positive(text: str) -> int:
    """argparse type: an integer above 0 (an empty split or a 0-pixel image makes no data set)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f'{text!r} is not a positive integer: give 1 or more')
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('kind', choices=sorted(DEFAULT_OUT))
    parser.add_argument('--out', help='dataset root; default: the upstream configs\' data_root')
    parser.add_argument('--fashion-root', default='data/fashion_mnist', help='Fashion-MNIST IDX files')
    parser.add_argument('--train', type=positive, default=200, help='training images')
    parser.add_argument('--val', type=positive, default=50, help='validation images')
    parser.add_argument('--size', type=positive, help='image side in pixels (default: 64 for imagenet, else 256)')
    parser.add_argument('--max-objects', type=positive, default=4, help='objects per image, at most')
    parser.add_argument('--seed', type=int, default=0)
    args = parser.parse_args()
    out = args.out or DEFAULT_OUT[args.kind]
    start = time.perf_counter()
    if args.kind == 'imagenet':
        from mmpretrain.datasets import ImageNet
        counts = make_imagenet(out, args.fashion_root, ImageNet.METAINFO['classes'], args.train, args.val,
                               args.size or 64, args.seed)
        what = 'images'
    elif args.kind == 'coco':
        from mmdet.datasets import CocoDataset
        counts = make_coco(out, args.fashion_root, CocoDataset.METAINFO['classes'], args.train, args.val,
                           args.size or 256, args.max_objects, args.seed)
        what = 'instances'
    else:
        from mmseg.datasets import ADE20KDataset
        counts = make_ade20k(out, args.fashion_root, ADE20KDataset.METAINFO['classes'], args.train,
                             args.val, args.size or 256, args.max_objects, args.seed)
        what = 'images'
    print(f'wrote a semi-synthetic {args.kind} set to {out}: ' +
          ', '.join(f'{split} {n} {what}' for split, n in counts.items()) +
          f' in {time.perf_counter() - start:.1f} s')


if __name__ == '__main__':
    main()

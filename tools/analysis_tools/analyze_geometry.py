"""Class margins, sample margins and intra-class variability of a trained classifier.

    python tools/analysis_tools/analyze_geometry.py CONFIG CHECKPOINT [--max-samples 10000] [--out-dir DIR]

Prints three tables and draws two histograms (pairwise class angles, sample margins) into DIR.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import mmebv.engine  # noqa: E402,F401  (safe loading)
from mmebv.analysis import class_margin, intra_class_variability, pairwise_class_angles, sample_margins, welch_angle  # noqa: E402
from mmebv.cls.feature_extraction import class_representation, collect, load_classifier  # noqa: E402


def table(title: str, rows: dict) -> str:
    width = max(len(k) for k in rows)
    lines = [f'| {title} | value |', '|---|---|']
    lines += [f'| {k:<{width}} | {v:.4f} |' if isinstance(v, float) else f'| {k:<{width}} | {v} |'
              for k, v in rows.items()]
    return '\n'.join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--max-samples', type=int, default=10000, help='test samples to use, at most')
    parser.add_argument('--out-dir', default='work_dirs/geometry', help='where the plots go')
    args = parser.parse_args()
    model = load_classifier(args.config, args.checkpoint)
    classes = class_representation(model.head)
    if classes is not None:
        margin = class_margin(classes)
        if classes.dim() == 2:
            margin['best possible min_angle'] = welch_angle(*classes.shape)
        print(table('class margin (degrees)', margin))
    else:
        print(f'{type(model.head).__name__} has no class vectors or subspaces: no class margin')
    data = collect(model, model.cfg.test_dataloader, args.max_samples)
    margins = sample_margins(data['scores'], data['labels'])
    print(table('sample margin (score units)', dict(
        samples=len(margins), mean=margins.mean().item(), p5=margins.quantile(0.05).item(),
        median=margins.median().item(), negative_fraction=(margins < 0).double().mean().item())))
    print(table('intra-class variability', intra_class_variability(data['features'], data['labels'])))

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(args.out_dir, exist_ok=True)
    figure, axes = plt.subplots(1, 2, figsize=(10, 3.5))
    if classes is not None:
        axes[0].hist(pairwise_class_angles(classes).numpy(), bins=50)
    axes[0].set(title='pairwise class angles', xlabel='degrees')
    axes[1].hist(margins.numpy(), bins=50)
    axes[1].set(title='sample margins', xlabel='true score - best other score')
    figure.tight_layout()
    path = osp.join(args.out_dir, 'geometry.png')
    figure.savefig(path, dpi=100)
    print(f'plots: {path}')


if __name__ == '__main__':
    main()

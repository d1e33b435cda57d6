"""Linear-probe transfer: freeze a trained backbone, fit a linear classifier on another dataset.

    python tools/analysis_tools/linear_probe.py CONFIG CHECKPOINT --probe-config PROBE_CONFIG \
        [--train-samples 10000] [--test-samples 10000]

Features of PROBE_CONFIG's train and test dataloaders go through CONFIG's backbone (and neck);
a multinomial logistic regression is fitted on the train features; top-1 on the test features
is printed.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

from mmengine.config import Config  # noqa: E402

import mmebv.engine  # noqa: E402,F401  (safe loading)
from mmebv.analysis import linear_probe  # noqa: E402
from mmebv.cls.feature_extraction import collect, load_classifier  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='config of the trained model')
    parser.add_argument('checkpoint')
    parser.add_argument('--probe-config', required=True, help='config whose dataloaders give the probe data')
    parser.add_argument('--train-samples', type=int, default=10000)
    parser.add_argument('--test-samples', type=int, default=10000)
    args = parser.parse_args()
    model = load_classifier(args.config, args.checkpoint)
    probe = Config.fromfile(args.probe_config)
    train = collect(model, probe.train_dataloader, args.train_samples)
    test = collect(model, probe.test_dataloader, args.test_samples)
    top1 = linear_probe(train['features'], train['labels'], test['features'], test['labels'])
    print(f'| backbone | probe data | train | test | linear-probe top-1 |\n|---|---|---|---|---|\n'
          f'| {osp.basename(args.config)} | {osp.basename(args.probe_config)} | {len(train["labels"])} | '
          f'{len(test["labels"])} | {top1:.2f} |')


if __name__ == '__main__':
    main()

#!/usr/bin/env python
"""Draw the documentation's figures from the measured figures in ``docs/en/_data/*.csv`` (each file
names the command that measured it). Run by ``conf.py`` at every build; never draw a figure by hand.

    python docs/en/figures.py
"""
import csv
import os
import os.path as osp
import statistics
from collections import defaultdict
from typing import Dict, List

import matplotlib

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

HERE = osp.dirname(osp.abspath(__file__))
OUT = osp.join(HERE, '_static', 'figures')


def read(name: str) -> List[Dict[str, str]]:
    """The rows of ``_data/<name>`` (lines starting with '#' are its provenance)."""
    with open(osp.join(HERE, '_data', name), encoding='utf-8') as f:
        return list(csv.DictReader(line for line in f if not line.startswith('#')))


def basis_coherence() -> None:
    rows = read('basis_generation.csv')
    dims = [int(r['d']) for r in rows]
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    for key, label, style in (('welch', 'Welch bound (no set goes below)', 'k--'),
                              ('published', "the authors' published files", 's-'),
                              ('paper_max', "the paper's algorithm, 300 s", '^-'),
                              ('mmebv_max', 'mmebv (method=auto)', 'o-')):
        ax.plot(dims, [float(r[key]) for r in rows], style, label=label)
    ax.set_yscale('log')
    ax.set_xlabel('dimension d (N = 1000 classes)')
    ax.set_ylabel('coherence: largest |cos| between two classes')
    ax.set_title('1000 class vectors: coherence against the Welch bound')
    ax.legend(fontsize=8)
    ax.grid(True, which='both', alpha=0.3)
    save(fig, 'basis_coherence.png')


def head_cost() -> None:
    series = defaultdict(list)
    for r in read('head_cost.csv'):
        series[r['head']].append((int(r['classes']), float(r['step_ms']), float(r['classifier_mib'])))
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.6, 3.8))
    for head, points in series.items():
        classes = [p[0] for p in points]
        left.plot(classes, [p[1] for p in points], 'o-', label=head)
        right.plot(classes, [p[2] for p in points], 'o-', label=head)
    for ax, label in ((left, 'train step of the head (ms)'), (right, 'memory the head holds (MiB)')):
        ax.set_xscale('log')
        ax.set_yscale('log')
        ax.set_xlabel('classes')
        ax.set_ylabel(label)
        ax.grid(True, which='both', alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle('Head cost against classes (batch 256, 2048-d features, 2 CPU cores)')
    save(fig, 'head_cost.png')


def accuracy() -> None:
    rows = read('accuracy.csv')
    runs = {r['head']: [float(r[k]) for k in ('seed0', 'seed1', 'seed2')] for r in rows}
    heads = sorted(runs, key=lambda h: statistics.mean(runs[h]))
    fig, ax = plt.subplots(figsize=(6.4, 3.8))
    ax.barh(heads, [statistics.mean(runs[h]) for h in heads], xerr=[statistics.stdev(runs[h]) for h in heads],
            color='tab:blue', alpha=0.8)
    for i, head in enumerate(heads):
        ax.plot(runs[head], [i] * 3, 'k.', markersize=4)
    ax.set_xlim(75, 90)
    ax.set_xlabel('top-1 (%), Fashion-MNIST test split: mean, std and each seed')
    ax.set_title('Accuracy at equal budget (2 epochs, 20,000 images)')
    ax.grid(True, axis='x', alpha=0.3)
    save(fig, 'accuracy.png')


def save(fig, name: str) -> None:
    fig.tight_layout()
    fig.savefig(osp.join(OUT, name), dpi=110)
    plt.close(fig)
    print(f'wrote docs/en/_static/figures/{name}')


def main() -> None:
    os.makedirs(OUT, exist_ok=True)
    basis_coherence()
    head_cost()
    accuracy()


if __name__ == '__main__':
    main()

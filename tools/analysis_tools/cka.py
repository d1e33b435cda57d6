"""Layer-by-layer linear CKA between two trained classifiers (e.g. EBV- and FC-trained twins).

    python tools/analysis_tools/cka.py CONFIG_A CKPT_A CONFIG_B CKPT_B [--data-config CFG]
        [--max-samples 2000] [--debiased] [--out cka.png]

Layers: every direct item of a Sequential/ModuleList inside each backbone that is not a conv,
norm or linear layer (activations, pools, residual blocks), plus the head's input. Prints the
matrix (rows: A's layers, columns: B's) and draws it as a heatmap.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
from mmengine.config import Config  # noqa: E402

import mmebv.engine  # noqa: E402,F401  (safe loading)
from mmebv.analysis import cka_matrix  # noqa: E402
from mmebv.cls.feature_extraction import collect, load_classifier  # noqa: E402

SKIPPED = (nn.modules.conv._ConvNd, nn.modules.batchnorm._NormBase, nn.GroupNorm, nn.LayerNorm, nn.Linear)


def probe_layers(backbone: nn.Module) -> list:
    """(name, module) of the layers whose outputs are compared."""
    layers = []
    for name, module in backbone.named_modules():
        if isinstance(module, (nn.Sequential, nn.ModuleList)):
            layers += [(f'{name}.{child_name}', child) for child_name, child in module.named_children()
                       if not isinstance(child, SKIPPED + (nn.Sequential, nn.ModuleList))]
    return layers


def activations(model: nn.Module, dataloader_cfg: dict, max_samples: int):
    """Names and (n, ...) outputs of the probed layers, then the head's input, on the first examples."""
    layers = probe_layers(model.backbone)
    outputs = {name: [] for name, _ in layers}
    handles = [module.register_forward_hook(lambda _m, _i, out, name=name: outputs[name].append(out.flatten(1)))
               for name, module in layers]
    try:
        head_input = collect(model, dataloader_cfg, max_samples)['features']
    finally:
        for handle in handles:
            handle.remove()
    names = [name for name, _ in layers if outputs[name]]
    values = [torch.cat(outputs[name])[:max_samples] for name in names]
    return names + ['head input'], values + [head_input]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    for which in ('a', 'b'):
        parser.add_argument(f'config_{which}')
        parser.add_argument(f'checkpoint_{which}')
    parser.add_argument('--data-config', help='config whose test dataloader gives the examples; default CONFIG_A')
    parser.add_argument('--max-samples', type=int, default=2000)
    parser.add_argument('--debiased', action='store_true', help='unbiased HSIC estimator')
    parser.add_argument('--out', default='work_dirs/cka/cka.png', help='heatmap path')
    args = parser.parse_args()
    data_cfg = Config.fromfile(args.data_config or args.config_a).test_dataloader
    data_cfg.sampler = dict(type='DefaultSampler', shuffle=False)  # the same examples, in the same order
    names_a, acts_a = activations(load_classifier(args.config_a, args.checkpoint_a), data_cfg, args.max_samples)
    names_b, acts_b = activations(load_classifier(args.config_b, args.checkpoint_b), data_cfg, args.max_samples)
    matrix = cka_matrix(acts_a, acts_b, args.debiased)
    kind = 'debiased linear CKA' if args.debiased else 'linear CKA'
    print(f'{kind} on {len(acts_a[0])} examples; rows: {osp.basename(args.config_a)}, '
          f'columns: {osp.basename(args.config_b)}')
    print('| layer | ' + ' | '.join(names_b) + ' |\n|---|' + '---|' * len(names_b))
    for name, row in zip(names_a, matrix):
        print(f'| {name} | ' + ' | '.join(f'{v:.3f}' for v in row.tolist()) + ' |')

    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    os.makedirs(osp.dirname(args.out) or '.', exist_ok=True)
    figure, axis = plt.subplots(figsize=(1 + 0.45 * len(names_b), 1 + 0.45 * len(names_a)))
    image = axis.imshow(matrix.numpy(), vmin=0, vmax=1, cmap='magma', origin='lower')
    axis.set_xticks(range(len(names_b)), names_b, rotation=90, fontsize=7)
    axis.set_yticks(range(len(names_a)), names_a, fontsize=7)
    axis.set(xlabel=osp.basename(args.config_b), ylabel=osp.basename(args.config_a), title=kind)
    figure.colorbar(image)
    figure.tight_layout()
    figure.savefig(args.out, dpi=100)
    print(f'heatmap: {args.out}')


if __name__ == '__main__':
    main()

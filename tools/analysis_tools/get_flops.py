"""FLOPs and parameters of a classification config's model, with the input channels it really takes.

    python tools/analysis_tools/get_flops.py CONFIG [--shape 28 28] [--channels C]

mmpretrain's own ``tools/analysis_tools/get_flops.py`` feeds every model a 3-channel input, which a
one-channel model (the Fashion-MNIST demo) cannot take. This counts the backbone, neck and head
(the head of a fixed classifier is a matrix product too) on a (1, C, H, W) input, C read from the
config's data preprocessor (its ``mean``) unless ``--channels`` is given.
"""
import argparse
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__)))))

import torch  # noqa: E402
from mmengine.analysis import get_model_complexity_info  # noqa: E402

from mmebv.cls.feature_extraction import load_classifier  # noqa: E402


class Logits(torch.nn.Module):
    """The classifier from image to class scores: what is counted."""

    def __init__(self, model: torch.nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.model.head(self.model.extract_feat(inputs))


def input_channels(model: torch.nn.Module) -> int:
    """The channels the model's data preprocessor normalises (1 for the demo), 3 when it says nothing."""
    mean = getattr(model.data_preprocessor, 'mean', None)
    return int(mean.numel()) if isinstance(mean, torch.Tensor) else 3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('--shape', type=int, nargs='+', default=[28, 28], help='input height (and width)')
    parser.add_argument('--channels', type=int, help='input channels; default: from the data preprocessor')
    args = parser.parse_args()
    if len(args.shape) not in (1, 2):
        parser.error('--shape takes H or H W')
    height, width = args.shape * 2 if len(args.shape) == 1 else args.shape
    model = load_classifier(args.config)
    channels = args.channels or input_channels(model)
    result = get_model_complexity_info(Logits(model), input_shape=(channels, height, width))
    print(result['out_table'])
    print(f'input shape: {(channels, height, width)}\nflops: {result["flops_str"]}\nparams: {result["params_str"]}\n'
          f'(backbone, neck and head; check that every op of your model is counted before you publish a figure)')


if __name__ == '__main__':
    main()

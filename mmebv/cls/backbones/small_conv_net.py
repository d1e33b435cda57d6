from typing import Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.model import BaseModule
from mmpretrain.registry import MODELS


@MODELS.register_module()
class SmallConvNet(BaseModule):
    """A VGG-style CNN for small grey or colour images (Fashion-MNIST, CIFAR), fast on a CPU.

    Each stage is ``convs_per_stage`` x (3x3 conv, BN, ReLU) followed by 2x2 max pooling; global
    average pooling follows the last stage.

    Args:
        in_channels (int): image channels. Defaults to 1.
        widths (Sequence[int]): output channels of each stage. Defaults to (32, 64, 128).
        convs_per_stage (int): convolutions in each stage. Defaults to 2.
        init_cfg (dict, optional): initialisation. Defaults to Kaiming for convs, constant for BN.

    Returns (from ``forward``):
        tuple[Tensor]: one (N, widths[-1]) pooled feature, as mmpretrain's necks and heads expect.
    """

    def __init__(self,
                 in_channels: int = 1,
                 widths: Sequence[int] = (32, 64, 128),
                 convs_per_stage: int = 2,
                 init_cfg=(dict(type='Kaiming', layer='Conv2d'),
                           dict(type='Constant', layer='BatchNorm2d', val=1))) -> None:
        super().__init__(init_cfg=list(init_cfg) if init_cfg is not None else None)
        layers = []
        channels = in_channels
        for width in widths:
            for _ in range(convs_per_stage):
                layers += [nn.Conv2d(channels, width, 3, padding=1, bias=False), nn.BatchNorm2d(width),
                           nn.ReLU(inplace=True)]
                channels = width
            layers.append(nn.MaxPool2d(2))
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.out_channels = channels

    def forward(self, x: torch.Tensor) -> Tuple[torch.Tensor]:
        """(N, in_channels, H, W) images -> ((N, widths[-1]),)."""
        return (self.pool(self.features(x)).flatten(1), )

"""The fully connected classifier layer: logits = W x + b, trainable (pure torch)."""
from typing import Dict

import torch
import torch.nn as nn
import torch.nn.functional as F

from .layer import ClassifierLayer
from .registry import register_classifier


@register_classifier('Linear')
class LinearClassifier(ClassifierLayer):
    """The usual FC classifier as a layer, the baseline the geometric methods are compared with.

    It computes what ``nn.Linear`` (or a 1x1 conv) computes; as a :class:`ClassifierLayer` it can also
    grow, which mmpretrain's ``LinearClsHead`` cannot: class-incremental baselines append new rows to
    the trained weight matrix. The weight (N, C) starts normal with std 0.01 and the bias at zero, as
    mmpretrain's ``LinearClsHead`` initialises its ``fc`` (``init_cfg=dict(type='Normal', layer='Linear',
    std=0.01)``).

    Args:
        in_features (int): C.
        num_classes (int): N.
        bias (bool): learn a bias per class. Defaults to True.
        channel_dim (int): -1 for (..., C), 1 for (B, C, H, W). Defaults to -1.
        grow_from_checkpoint (bool): load a checkpoint of fewer classes, its weights (and biases) as
            the first rows (see :class:`~mmebv.classifiers.layer.ClassifierLayer`). Defaults to False.

    Growing (:meth:`grow`, ``grow_from_checkpoint``) appends rows initialised as at construction;
    the old rows, and so the old classes' logits, are unchanged.
    """

    def __init__(self, in_features: int, num_classes: int, bias: bool = True, channel_dim: int = -1,
                 grow_from_checkpoint: bool = False) -> None:
        super().__init__(in_features, num_classes, channel_dim, grow_from_checkpoint)
        if not isinstance(bias, bool):
            raise ValueError(f'{type(self).__name__}: bias={bias!r} must be True or False')
        self.weight = nn.Parameter(torch.empty(num_classes, in_features))
        nn.init.normal_(self.weight, std=0.01)
        self.bias = nn.Parameter(torch.zeros(num_classes)) if bias else None

    def class_tensors(self) -> Dict[str, int]:
        return dict(weight=1, bias=1) if self.bias is not None else dict(weight=1)

    def append_classes(self, num_classes: int) -> None:
        new = torch.empty(num_classes - self.num_classes, self.in_features)
        nn.init.normal_(new, std=0.01)
        self.weight = nn.Parameter(torch.cat([self.weight.detach(), new.to(self.weight)]))
        if self.bias is not None:
            new_bias = self.bias.new_zeros(num_classes - self.num_classes)
            self.bias = nn.Parameter(torch.cat([self.bias.detach(), new_bias]))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return F.linear(x, self.weight, self.bias)

    def class_representation(self) -> torch.Tensor:
        """The class weights (N, C)."""
        return self.weight.detach()

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, bias={self.bias is not None}'

"""Swap a dense head's 1x1 classifier conv for a per-pixel :class:`FixedClassifier` (pure torch)."""
import warnings
from typing import Optional

import torch.nn as nn

from .fixed_classifier import FixedClassifier


class DenseClassifierMixin:
    """Replaces a host head's 1x1 classifier conv by a per-pixel :class:`FixedClassifier`.

    Put it before the host head class: ``class FixedUPerHead(DenseClassifierMixin, UPerHead)``
    and name the attribute that holds the conv in ``classifier_name``. The host builds its
    ``nn.Conv2d(C, num_classes, 1)`` as usual; the mixin then swaps it for a fixed classifier with
    the same input and output channels, so the host's loss and prediction code stay as they are.

    Args:
        classifier (dict, optional): arguments of :class:`FixedClassifier` other than the sizes
            (``basis``, ``embed_dim``, ``temperature``, ``with_projection``, ...). Defaults to
            None (all defaults: an EBV basis).
        ebv_cfg (dict, optional): deprecated spelling of ``classifier``.
    """

    classifier_name: str = ''

    def __init__(self, *args, classifier: Optional[dict] = None, ebv_cfg: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if ebv_cfg is not None:
            if classifier is not None:
                raise TypeError(f'{type(self).__name__}: give classifier=dict(...) only, not also ebv_cfg')
            warnings.warn(f'{type(self).__name__}: ebv_cfg is deprecated; write classifier=dict(...) with the '
                          f'same keys', FutureWarning, stacklevel=2)
            classifier = ebv_cfg
        conv = getattr(self, self.classifier_name)
        if not isinstance(conv, nn.Conv2d) or conv.kernel_size != (1, 1):
            raise TypeError(f'{type(self).__name__}.{self.classifier_name} must be a 1x1 Conv2d to '
                            f'be replaced by a fixed classifier, got {type(conv).__name__}')
        setattr(self, self.classifier_name,
                FixedClassifier(conv.in_channels, conv.out_channels, channel_dim=1, **(classifier or {})))

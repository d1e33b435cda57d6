"""Swap a dense head's 1x1 classifier conv for a per-pixel classifier layer (pure torch)."""
from typing import Optional

import torch.nn as nn

from .registry import build_classifier, with_default


class DenseClassifierMixin:
    """Replaces a host head's 1x1 classifier conv by a per-pixel :class:`ClassifierLayer`.

    Put it before the host head class: ``class GeometricUPerHead(DenseClassifierMixin, UPerHead)``
    and name the attribute that holds the conv in ``classifier_name``. The host builds its
    ``nn.Conv2d(C, num_classes, 1)`` as usual; the mixin then swaps it for the configured layer with
    the same input and output channels (``channel_dim=1``), so the host's loss and prediction code
    stay as they are.

    Args:
        classifier (dict): the layer and its arguments other than the sizes, e.g.
            ``dict(type='Fixed', basis=dict(type='EBV'))`` or ``dict(type='Grassmann', subspace_dim=8)``.
            Without a ``type``, its keys complete the class's ``default_classifier`` (the EBV twins').
    """

    classifier_name: str = ''
    default_classifier: Optional[dict] = None
    needs_signed_logits: bool = False  # a sigmoid loss: logits of one sign cannot say "no"

    def __init__(self, *args, classifier: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        classifier = with_default(classifier, self.default_classifier, type(self).__name__)
        conv = getattr(self, self.classifier_name)
        if not isinstance(conv, nn.Conv2d) or conv.kernel_size != (1, 1):
            raise TypeError(f'{type(self).__name__}.{self.classifier_name} must be a 1x1 Conv2d to '
                            f'be replaced by a classifier layer, got {type(conv).__name__}')
        layer = build_classifier(classifier, conv.in_channels, conv.out_channels, channel_dim=1)
        if self.needs_signed_logits and not layer.signed_logits:
            raise ValueError(f'{type(self).__name__} trains its logits with a sigmoid, but {type(layer).__name__}\'s '
                             f'logits have one sign only: use a classifier whose logits take both signs '
                             f'(Fixed, LargestMargin)')
        setattr(self, self.classifier_name, layer)

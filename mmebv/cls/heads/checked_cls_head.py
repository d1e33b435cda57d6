from typing import List, Optional, Sequence

import torch
from mmpretrain.evaluation import Accuracy
from mmpretrain.models.heads import ClsHead
from mmpretrain.structures import DataSample

from mmebv.classifiers.checks import attach_checks, check_feature_size, expect_finite, expect_labels_in_range


class CheckedClsHead(ClsHead):
    """mmpretrain's ``ClsHead`` plus what every mmebv classification head shares.

    - Input checks, with the messages users see: the feature size (names ``in_channels``),
      non-finite features and losses (``FloatingPointError``), labels outside [0, N - 1] (names
      ``num_classes``). Verdicts that need a host read are deferred on accelerators
      (:mod:`mmebv.classifiers.checks`): no synchronisation per step.
    - The soft-target policy: ``soft_targets = False`` refuses ``gt_score`` targets (Mixup,
      CutMix) with a message instead of training on them.
    - :meth:`class_representation`: the head's class vectors (N, d) or subspaces (N, k, d), for
      the analysis tools.

    A subclass builds its classifier, implements ``forward(feats) -> (B, N)`` on
    ``self.pre_logits(feats)``, and, when its training needs more than the configured loss on the
    logits, overrides :meth:`losses`.

    Args:
        num_classes (int): N.
        in_channels (int): C, the size of the feature that reaches the head.
        **kwargs: ``loss``, ``topk``, ``cal_acc``, ``init_cfg``, as for ``ClsHead``.
    """

    soft_targets: bool = True

    def __init__(self, num_classes: int, in_channels: int, **kwargs) -> None:
        super().__init__(**kwargs)
        for name, value in (('num_classes', num_classes), ('in_channels', in_channels)):
            if not isinstance(value, int) or value <= 0:
                raise ValueError(f'{type(self).__name__}: {name}={value!r} must be a positive integer')
        self.num_classes, self.in_channels = num_classes, in_channels
        attach_checks(self)

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The last stage's (B, C) features, checked."""
        x = feats[-1]
        self.check_features(x)
        return x

    def check_features(self, x: torch.Tensor) -> None:
        check_feature_size(x, self.in_channels, -1, type(self).__name__)
        expect_finite(self.checks, 'features', x, f'features reached {type(self).__name__}')

    def targets(self, data_samples: List[DataSample]) -> torch.Tensor:
        """Hard labels (B, ) checked against N, or soft scores (B, N) where the head accepts them."""
        if 'gt_score' in data_samples[0]:
            if not self.soft_targets:
                raise ValueError(f'{type(self).__name__} needs hard labels but got soft targets (gt_score, '
                                 f'from Mixup/CutMix): remove model.train_cfg.augments')
            return torch.stack([sample.gt_score for sample in data_samples])
        labels = torch.cat([sample.gt_label for sample in data_samples])
        return expect_labels_in_range(self.checks, labels, self.num_classes)

    def loss(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """:meth:`losses`, each checked to be finite."""
        losses = self.losses(feats, data_samples, **kwargs)
        for name, value in losses.items():
            if 'loss' in name:
                expect_finite(self.checks, name, value, f'{name} of {type(self).__name__}')
        return losses

    def losses(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """Every loss of the head; by default the configured loss on ``self(feats)``."""
        return self._get_loss(self(feats), data_samples, **kwargs)

    def _get_loss(self, cls_score: torch.Tensor, data_samples: List[DataSample], **kwargs) -> dict:
        return self.loss_on_target(cls_score, self.targets(data_samples), **kwargs)

    def loss_on_target(self, cls_score: torch.Tensor, target: torch.Tensor, **kwargs) -> dict:
        """The configured loss (and training accuracy when ``cal_acc``) of (B, N) scores."""
        losses = dict(loss=self.loss_module(cls_score, target, avg_factor=cls_score.size(0), **kwargs))
        if self.cal_acc and target.dim() == 1:
            accuracy = Accuracy.calculate(cls_score, target, topk=self.topk)
            losses.update({f'accuracy_top-{k}': a for k, a in zip(self.topk, accuracy)})
        return losses

    def class_representation(self) -> Optional[torch.Tensor]:
        """The classes as the head holds them: (N, d) vectors or (N, k, d) orthonormal subspace
        bases, detached; None when no single representation exists."""
        raise NotImplementedError

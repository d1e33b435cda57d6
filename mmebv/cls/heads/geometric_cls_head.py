from typing import List, Optional, Sequence

import torch
from mmpretrain.evaluation import Accuracy
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmebv.classifiers import FixedClassifier, LargestMarginClassifier, build_classifier
from mmebv.classifiers.registry import with_default
from mmebv.classifiers.layer import add_loss_terms
from mmebv.classifiers.checks import attach_checks, check_count, expect_finite, expect_labels_in_range

from ..losses import CosineScoreLoss, EmbeddingLoss, LMSoftmaxLoss


@MODELS.register_module()
class GeometricClsHead(ClsHead):
    """mmpretrain's classification head around any mmebv classifier layer.

    Features (B, C) of the last stage -> ``classifier`` -> (B, N) logits; training is the
    configured loss on the logits plus the layer's own terms (:meth:`ClassifierLayer.loss_terms`,
    e.g. GCR's none, DML-CRC's ``loss_linear_ce``, the largest-margin regularisers); prediction is the
    arg max. The head checks labels against N (deferred on accelerators, no synchronisation per
    step), every loss for finiteness, and refuses soft targets (Mixup, CutMix) where the layer's
    terms need hard labels. Two losses take other inputs than logits, for a ``Fixed`` classifier
    only: ``ChunkedCrossEntropyLoss`` gets the embeddings and the class vectors (never forming the
    (B, N) logits), ``DotRegressionLoss`` the cosines (``temperature=1.0``).

    Args:
        num_classes (int): N.
        in_channels (int): C, the size of the backbone feature that reaches the head.
        classifier (dict): the layer and its arguments other than the sizes, e.g.
            ``dict(type='Fixed', basis=dict(type='SimplexETF'))``, ``dict(type='Grassmann',
            subspace_dim=8)``, ``dict(type='LargestMargin', scale=64)``, ``dict(type='DMLCRC')``.
        loss (dict): the loss on the logits. Defaults to ``dict(type='CrossEntropyLoss')``.
        topk (int | tuple[int]): top-k accuracy. Defaults to ``(1, )``.
        cal_acc (bool): compute training accuracy. Defaults to False.
        init_cfg (dict, optional): initialisation of the layer's ``nn.Linear`` parts; fixed vectors
            and subspaces are not ``Linear`` weights, so no init touches them. Defaults to
            ``dict(type='Normal', layer='Linear', std=0.01)``.

    Example:
        >>> head = dict(type='GeometricClsHead', num_classes=1000, in_channels=2048,
        ...             classifier=dict(type='Grassmann', subspace_dim=8))
    """

    default_classifier: Optional[dict] = None

    def __init__(self, num_classes: int, in_channels: int, classifier: Optional[dict] = None,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01), **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        owner = type(self).__name__
        self.num_classes = check_count(owner, 'num_classes', num_classes)
        self.in_channels = check_count(owner, 'in_channels', in_channels)
        self.classifier = build_classifier(with_default(classifier, self.default_classifier, owner), in_channels,
                                           num_classes)
        attach_checks(self)
        self._check_loss(owner)

    def _check_loss(self, owner: str) -> None:
        loss_name, layer = type(self.loss_module).__name__, self.classifier
        fixed = isinstance(layer, FixedClassifier)
        if isinstance(self.loss_module, EmbeddingLoss) and not (
                fixed and layer.logit_scale is None and layer.bias is None):
            raise ValueError(f'{owner}: {loss_name} forms the logits itself, as embedding · basis / temperature: use '
                             f'it with classifier=dict(type=\'Fixed\') without learnable_scale and bias')
        if isinstance(self.loss_module, LMSoftmaxLoss) and isinstance(layer, LargestMarginClassifier) and \
                self.loss_module.scale != layer.scale:
            raise ValueError(f'{owner}: LMSoftmaxLoss\'s scale {self.loss_module.scale} differs from the classifier\'s '
                             f'scale {layer.scale}: give the loss the classifier\'s scale')
        if isinstance(self.loss_module, CosineScoreLoss) and not (fixed and layer.gives_cosines):
            raise ValueError(f'{owner}: {loss_name} needs the cosines themselves as scores: use '
                             f'classifier=dict(type=\'Fixed\', temperature=1.0) and leave normalize, learnable_scale '
                             f'and bias at their defaults')

    def pre_logits(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """The last stage's (B, C) features."""
        return feats[-1]

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features of the last stage -> (B, N) logits."""
        return self.classifier(self.pre_logits(feats))

    def targets(self, data_samples: List[DataSample]) -> torch.Tensor:
        """Hard labels (B, ) checked against N, or soft scores (B, N) where the layer accepts them."""
        if 'gt_score' in data_samples[0]:
            if not self.classifier.soft_targets:
                raise ValueError(f'{type(self.classifier).__name__} needs hard labels but got soft targets '
                                 f'(gt_score, from Mixup/CutMix): remove model.train_cfg.augments')
            return torch.stack([sample.gt_score for sample in data_samples])
        labels = torch.cat([sample.gt_label for sample in data_samples])
        return expect_labels_in_range(self.checks, labels, self.num_classes)

    def loss(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """The configured loss and the layer's terms, each checked to be finite."""
        x, target = self.pre_logits(feats), self.targets(data_samples)
        if isinstance(self.loss_module, EmbeddingLoss):
            losses = dict(loss=self.loss_module(self.classifier.embed(x), self.classifier.basis, target,
                                                1.0 / self.classifier.temperature))
        else:
            losses = self.loss_on_target(self.classifier(x), target, **kwargs)
        add_loss_terms(losses, self.classifier, x, target)
        for name, value in losses.items():
            if 'loss' in name:
                expect_finite(self.checks, name, value, f'{name} of {type(self).__name__}')
        return losses

    def loss_on_target(self, cls_score: torch.Tensor, target: torch.Tensor, **kwargs) -> dict:
        """The configured loss (and training accuracy when ``cal_acc``) of (B, N) scores."""
        losses = dict(loss=self.loss_module(cls_score, target, avg_factor=cls_score.size(0), **kwargs))
        if self.cal_acc and target.dim() == 1:
            accuracy = Accuracy.calculate(cls_score, target, topk=self.topk)
            losses.update({f'accuracy_top-{k}': a for k, a in zip(self.topk, accuracy)})
        return losses

    def class_representation(self) -> Optional[torch.Tensor]:
        """The classes as the layer holds them: (N, d) vectors or (N, k, d) subspaces; None for
        DML-CRC (a class is a set of atoms under a learned metric)."""
        return self.classifier.class_representation()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing, unexpected, errors) -> None:
        self.classifier.import_host_keys(state_dict, prefix, prefix + 'classifier.', errors)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing, unexpected, errors)


@MODELS.register_module()
class EBVClsHead(GeometricClsHead):
    """:class:`GeometricClsHead` whose classifier defaults to EBV (Shen et al., CVPR 2023): N fixed
    vectors as close to orthogonal as geometry allows, d = max(N, 128), temperature 0.07.

    Example:
        >>> head = dict(type='EBVClsHead', num_classes=1000, in_channels=2048,
        ...             classifier=dict(type='Fixed', embed_dim=1000, basis=dict(type='EBV', seed=0)))
    """

    default_classifier = dict(type='Fixed', basis=dict(type='EBV'))

import warnings
from typing import List, Optional, Sequence

import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmebv.classifiers import FixedClassifier
from mmebv.classifiers.fixed_classifier import LEGACY_BASIS_ARGS

from .checked_cls_head import CheckedClsHead

# Classifier arguments that EBVClsHead once took flat, beside the basis ones.
FLAT_CLASSIFIER_ARGS = ('embed_dim', 'temperature', 'with_projection', 'adopt_checkpoint_basis')


@MODELS.register_module()
class FixedClsHead(CheckedClsHead):
    """Classification head whose classifier is a set of fixed class vectors.

    Features -> (trainable projection) -> L2-normalised d-dim embedding -> cosine to each class's
    fixed vector / temperature (:class:`mmebv.classifiers.FixedClassifier`). Training is the
    configured loss on these logits (soft targets from Mixup/CutMix and label smoothing included);
    prediction is the nearest class vector. Which vectors is the ``basis`` of ``classifier``:
    ``EBV`` by default, or ``SimplexETF``, ``Hadamard``, ``MaxSeparation``, or any registered one.

    Args:
        num_classes (int): N.
        in_channels (int): C, the size of the backbone feature that reaches the head.
        classifier (dict, optional): arguments of :class:`FixedClassifier` other than the sizes:
            ``basis`` (dict), ``embed_dim``, ``temperature``, ``with_projection``,
            ``adopt_checkpoint_basis``. Defaults to None (an EBV basis, d = max(N, 128),
            temperature 0.07).
        loss (dict): the classification loss. Defaults to ``dict(type='CrossEntropyLoss')``.
        topk (int | tuple[int]): top-k accuracy. Defaults to ``(1, )``.
        cal_acc (bool): compute training accuracy. Defaults to False.
        init_cfg (dict, optional): initialisation of the projection; the basis is a buffer that no
            init touches. Defaults to ``dict(type='Normal', layer='Linear', std=0.01)``.
        **legacy: ``embed_dim``, ``temperature``, ``with_projection``, ``adopt_checkpoint_basis``,
            ``basis_file``, ``basis_seed``, ``basis_method`` given flat (deprecated: put them in
            ``classifier``).

    Example:
        >>> head = dict(type='FixedClsHead', num_classes=100, in_channels=2048,
        ...             classifier=dict(basis=dict(type='SimplexETF'), embed_dim=128))
    """

    def __init__(self, num_classes: int, in_channels: int, classifier: Optional[dict] = None,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01), **kwargs) -> None:
        flat = {k: kwargs.pop(k) for k in list(kwargs) if k in FLAT_CLASSIFIER_ARGS or k in LEGACY_BASIS_ARGS}
        super().__init__(num_classes, in_channels, init_cfg=init_cfg, **kwargs)
        classifier, said = dict(classifier or {}), bool(flat)
        if flat:
            warnings.warn(f'{type(self).__name__}: {", ".join(sorted(flat))} given flat are deprecated; put them '
                          f'in classifier=dict(...) (basis_file/basis_seed/basis_method as '
                          f'basis=dict(type=\'EBV\', file=..., seed=..., method=...))', FutureWarning, stacklevel=2)
            basis_args = {k: flat.pop(k) for k in list(flat) if k in LEGACY_BASIS_ARGS}
            classifier.update(flat, **basis_args)
        with warnings.catch_warnings():
            if said:  # once, above
                warnings.simplefilter('ignore', FutureWarning)
            self.classifier = FixedClassifier(in_channels, num_classes, **classifier)
        fixed_scale = self.classifier.logit_scale is None and self.classifier.bias is None
        loss_name = type(self.loss_module).__name__
        if getattr(self.loss_module, 'needs_cosines', False) and not (
                fixed_scale and self.classifier.temperature == 1 and self.classifier.normalize):
            raise ValueError(f'{loss_name} needs the cosines themselves as scores: set '
                             f'classifier=dict(temperature=1.0) and leave normalize, learnable_scale and bias '
                             f'at their defaults')
        if getattr(self.loss_module, 'takes_embedding', False) and not fixed_scale:
            raise ValueError(f'{loss_name} forms the logits itself, as embedding · basis / temperature: leave '
                             f'learnable_scale and bias off')

    def check_features(self, x: torch.Tensor) -> None:
        """The classifier checks its own input (size and finiteness)."""

    def embed(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features of the last stage -> (B, d) unit embeddings."""
        return self.classifier.embed(self.pre_logits(feats))

    def forward(self, feats: Sequence[torch.Tensor]) -> torch.Tensor:
        """(B, C) features of the last stage -> (B, N) logits."""
        return self.classifier(self.pre_logits(feats))

    def losses(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """The configured loss; a loss that ``takes_embedding`` (``ChunkedCrossEntropyLoss``) gets the
        embeddings and the class vectors instead of the (B, N) logits."""
        if not getattr(self.loss_module, 'takes_embedding', False):
            return super().losses(feats, data_samples, **kwargs)
        embedding = self.classifier.embed(self.pre_logits(feats))
        target = self.targets(data_samples)
        return dict(loss=self.loss_module(embedding, self.classifier.basis, target, 1.0 / self.classifier.temperature))

    def class_representation(self) -> torch.Tensor:
        """The fixed class vectors (N, d)."""
        return self.classifier.basis.detach()


@MODELS.register_module()
class EBVClsHead(FixedClsHead):
    """:class:`FixedClsHead` under the name EBV configs use: its basis defaults to EBV (Shen et al.,
    CVPR 2023), N vectors as close to orthogonal as geometry allows.

    Example:
        >>> head = dict(type='EBVClsHead', num_classes=1000, in_channels=2048,
        ...             classifier=dict(embed_dim=1000, temperature=0.07, basis=dict(type='EBV', seed=0)))
    """

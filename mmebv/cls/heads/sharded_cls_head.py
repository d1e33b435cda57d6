"""mmpretrain's head around the class-sharded fixed classifier (registered by ``mmebv.cls``)."""
from typing import List, Optional, Sequence

import torch
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from mmebv.classifiers import ShardedFixedClassifier
from mmebv.classifiers.checks import check_real, expect_finite

from .geometric_cls_head import GeometricClsHead


@MODELS.register_module()
class ShardedClsHead(GeometricClsHead):
    """A classification head whose N classes are split across the ranks of the job
    (:class:`~mmebv.classifiers.ShardedFixedClassifier`): each rank holds N / W class vectors and
    builds them itself; the loss is the exact softmax cross-entropy over all N classes, formed with
    collectives, and prediction merges each rank's top-k. The (B, N) logits are never formed, so
    N can exceed what one device holds. Every rank must run ``loss`` and ``predict`` together (as
    mmengine's distributed training and evaluation do).

    Args:
        num_classes (int): N, the classes of all ranks together.
        in_channels (int): C, the size of the backbone feature that reaches the head.
        classifier (dict, optional): the ``ShardedFixed`` layer's arguments other than the sizes.
            Defaults to None (``dict(type='ShardedFixed')``: a ``SeededRows`` basis).
        label_smoothing (float): ε of label smoothing on hard labels. Defaults to 0.
        loss_weight (float): weight of the loss. Defaults to 1.0.
        topk (int | tuple[int]): the k of the predictions kept per sample (``pred_topk``). Defaults
            to ``(1, )``.
        init_cfg (dict, optional): initialisation of the projection. Defaults to
            ``dict(type='Normal', layer='Linear', std=0.01)``.

    Example:
        >>> head = dict(type='ShardedClsHead', num_classes=10_000_000, in_channels=2048,
        ...             classifier=dict(type='ShardedFixed', embed_dim=512, basis=dict(type='SeededRows')))
    """

    default_classifier = dict(type='ShardedFixed')

    def __init__(self, num_classes: int, in_channels: int, classifier: Optional[dict] = None,
                 label_smoothing: float = 0.0, loss_weight: float = 1.0, **kwargs) -> None:
        if 'loss' in kwargs:
            raise TypeError('ShardedClsHead forms its exact cross-entropy with collectives and takes no loss: '
                            'remove loss=..., set label_smoothing (and loss_weight) on the head')
        super().__init__(num_classes, in_channels, classifier, **kwargs)
        if not isinstance(self.classifier, ShardedFixedClassifier):
            raise TypeError(f'ShardedClsHead needs classifier=dict(type=\'ShardedFixed\', ...), got '
                            f'{type(self.classifier).__name__}: use GeometricClsHead for the other layers')
        self.label_smoothing = check_real(type(self).__name__, 'label_smoothing', label_smoothing, minimum=0,
                                          maximum=1)
        self.loss_weight = loss_weight

    def loss(self, feats: Sequence[torch.Tensor], data_samples: List[DataSample], **kwargs) -> dict:
        """The mean exact cross-entropy of this rank's samples over all ranks' classes."""
        x, target = self.pre_logits(feats), self.targets(data_samples)
        smoothing = self.label_smoothing if target.dim() == 1 else 0.0
        loss = self.loss_weight * self.classifier.cross_entropy(x, target, smoothing).mean()
        expect_finite(self.checks, 'loss', loss, f'loss of {type(self).__name__}')
        return dict(loss=loss)

    def predict(self, feats: Sequence[torch.Tensor],
                data_samples: Optional[List[Optional[DataSample]]] = None) -> List[DataSample]:
        """Each sample's best class (``pred_label``) and its ``max(topk)`` best classes and logits
        (``pred_topk``, ``pred_topk_score``), merged over the ranks' shards."""
        k = max(self.topk) if isinstance(self.topk, (tuple, list)) else self.topk
        values, indices = self.classifier.topk(self.pre_logits(feats), k)
        out = []
        for i in range(indices.shape[0]):
            sample = DataSample() if data_samples is None or data_samples[i] is None else data_samples[i]
            sample.set_pred_label(indices[i, :1])
            sample.set_field(indices[i], 'pred_topk')
            sample.set_field(values[i], 'pred_topk_score')
            out.append(sample)
        return out

from typing import List, Optional, Tuple

import torch
from mmpretrain.models.heads import ClsHead
from mmpretrain.registry import MODELS
from mmpretrain.structures import DataSample

from ..layers import EBVClassifier


@MODELS.register_module()
class EBVClsHead(ClsHead):
    """Classification head with a fixed equiangular basis as its classifier.

    Features -> (trainable projection) -> L2-normalised d-dim embedding -> cosine to each class's
    fixed basis vector / temperature. Training is the configured loss on these logits (soft targets
    from Mixup/CutMix and label smoothing included); prediction is the nearest basis vector.

    Args:
        num_classes (int): number of classes N.
        in_channels (int): size of the backbone feature that reaches the head.
        embed_dim (int, optional): d, the size of the embedding and the basis vectors. Defaults to
            ``max(num_classes, 128)``: orthonormal vectors, and enough room for stable training
            with few classes. The paper uses d = N = 1000 on ImageNet; large label spaces can use
            d << N.
        temperature (float): logits are cos / temperature. Defaults to 0.07 (the paper).
        with_projection (bool): learn a linear map in_channels -> embed_dim. Defaults to True.
        basis_file (str, optional): read the basis from this file (see
            ``tools/misc/generate_ebv.py``) instead of generating it. Defaults to None.
        basis_seed (int): seed of the generated basis. Defaults to 0.
        basis_method (str): 'auto', 'orthonormal' or 'optimize'. Defaults to 'auto'.
        adopt_checkpoint_basis (bool): accept a checkpoint whose basis differs from the configured
            one (and use the checkpoint's); by default such a checkpoint is refused. Defaults to
            False.
        loss (dict): the classification loss. Defaults to
            ``dict(type='CrossEntropyLoss', loss_weight=1.0)``.
        topk (int | tuple[int]): top-k accuracy. Defaults to ``(1, )``.
        cal_acc (bool): compute training accuracy. Defaults to False.
        init_cfg (dict, optional): initialisation of the projection; the basis is a buffer that no
            init touches. Defaults to ``dict(type='Normal', layer='Linear', std=0.01)``.

    Example:
        >>> head = dict(type='EBVClsHead', num_classes=1000, in_channels=2048, embed_dim=1000)
    """

    def __init__(self,
                 num_classes: int,
                 in_channels: int,
                 embed_dim: Optional[int] = None,
                 temperature: float = 0.07,
                 with_projection: bool = True,
                 basis_file: Optional[str] = None,
                 basis_seed: int = 0,
                 basis_method: str = 'auto',
                 adopt_checkpoint_basis: bool = False,
                 init_cfg: Optional[dict] = dict(type='Normal', layer='Linear', std=0.01),
                 **kwargs) -> None:
        super().__init__(init_cfg=init_cfg, **kwargs)
        if num_classes <= 0:
            raise ValueError(f'num_classes={num_classes} must be a positive integer')
        self.num_classes, self.in_channels = num_classes, in_channels
        self.classifier = EBVClassifier(in_channels, num_classes, embed_dim, temperature,
                                        with_projection, basis_file, basis_seed, basis_method,
                                        adopt_checkpoint_basis=adopt_checkpoint_basis)

    def embed(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """(N, in_channels) features of the last stage -> (N, embed_dim) unit embeddings."""
        return self.classifier.embed(self.pre_logits(feats))

    def forward(self, feats: Tuple[torch.Tensor]) -> torch.Tensor:
        """(N, in_channels) features of the last stage -> (N, num_classes) logits."""
        return self.classifier(self.pre_logits(feats))

    def _get_loss(self, cls_score: torch.Tensor, data_samples: List[DataSample], **kwargs) -> dict:
        if 'gt_score' not in data_samples[0]:
            labels = torch.cat([sample.gt_label for sample in data_samples])
            if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_classes):
                raise ValueError(f'labels must lie in [0, {self.num_classes - 1}] but range over '
                                 f'[{labels.min().item()}, {labels.max().item()}]: set the head\'s '
                                 f'num_classes to the dataset\'s class count')
        return super()._get_loss(cls_score, data_samples, **kwargs)

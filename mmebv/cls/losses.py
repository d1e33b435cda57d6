"""The pure losses of :mod:`mmebv.losses` as mmpretrain loss modules.

Two of them do not take (B, N) logits, and say so by their base class, which ``GeometricClsHead``
reads: an :class:`EmbeddingLoss` takes the embeddings and the class vectors, a
:class:`CosineScoreLoss` needs the cosines themselves as scores.
"""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from mmebv.classifiers import check_real
from mmebv.losses import chunked_cross_entropy, dot_regression, lm_softmax


class EmbeddingLoss(nn.Module):
    """A loss on (B, d) embeddings, (N, d) class vectors, labels and the logit scale, not on logits."""


class CosineScoreLoss(nn.Module):
    """A loss whose scores must be the cosines themselves."""


@MODELS.register_module()
class LMSoftmaxLoss(nn.Module):
    """LM-Softmax on logits z = s cos θ, averaged over the batch (:func:`mmebv.losses.lm_softmax`).

    Args:
        scale (float): s > 0, the scale of the logits: the ``LargestMargin`` classifier's.
            Defaults to 64 (its default).
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    def __init__(self, scale: float = 64.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.scale = check_real(type(self).__name__, 'scale', scale, above=0)
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, avg_factor=None, **kwargs) -> torch.Tensor:
        return self.loss_weight * lm_softmax(cls_score, label, self.scale).mean()


@MODELS.register_module()
class DotRegressionLoss(CosineScoreLoss):
    """Dot regression on cosine logits (:func:`mmebv.losses.dot_regression`), averaged over the batch.

    The scores must be the cosines themselves: use it with a ``Fixed`` classifier of
    ``temperature=1.0`` (the head refuses any other).

    Args:
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, avg_factor=None, **kwargs) -> torch.Tensor:
        return self.loss_weight * dot_regression(cls_score, label).mean()


@MODELS.register_module()
class ChunkedCrossEntropyLoss(EmbeddingLoss):
    """Cross-entropy over many classes without the (B, N) logits (:func:`mmebv.losses.chunked_cross_entropy`).

    For a ``Fixed`` classifier: the head hands it the embeddings, its fixed class vectors and
    1 / temperature instead of logits, and the logits are formed ``chunk`` classes at a time in
    the forward and the backward pass. Hard labels only (soft targets would be (B, N) themselves);
    label smoothing is computed in closed form.

    Args:
        chunk (int): classes per block. Defaults to 65536.
        label_smooth_val (float): ε of label smoothing. Defaults to 0.
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    def __init__(self, chunk: int = 65536, label_smooth_val: float = 0.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.chunk, self.label_smooth_val, self.loss_weight = chunk, label_smooth_val, loss_weight

    def forward(self, embedding: torch.Tensor, vectors: torch.Tensor, label: torch.Tensor,
                scale: float) -> torch.Tensor:
        """(B, d) embeddings, (N, d) class vectors, (B, ) labels, logit scale -> the mean loss."""
        return self.loss_weight * chunked_cross_entropy(embedding, vectors, label, scale, self.chunk,
                                                        self.label_smooth_val).mean()

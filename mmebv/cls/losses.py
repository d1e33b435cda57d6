"""The pure losses of :mod:`mmebv.losses` as mmpretrain loss modules."""
import torch
import torch.nn as nn
from mmpretrain.registry import MODELS

from mmebv.losses import chunked_cross_entropy, dot_regression, lm_softmax


@MODELS.register_module()
class LMSoftmaxLoss(nn.Module):
    """LM-Softmax on logits z = s cos θ, averaged over the batch (:func:`mmebv.losses.lm_softmax`).

    Args:
        scale (float): s, the scale of the logits. Defaults to 64 (``LargestMarginClsHead`` fills
            in its own).
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    def __init__(self, scale: float = 64.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.scale, self.loss_weight = float(scale), loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, avg_factor=None, **kwargs) -> torch.Tensor:
        return self.loss_weight * lm_softmax(cls_score, label, self.scale).mean()


@MODELS.register_module()
class DotRegressionLoss(nn.Module):
    """Dot regression on cosine logits (:func:`mmebv.losses.dot_regression`), averaged over the batch.

    The scores must be the cosines themselves: use it with a :class:`FixedClsHead` whose classifier
    has ``temperature=1.0`` (the head refuses any other).

    Args:
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    needs_cosines = True

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def forward(self, cls_score: torch.Tensor, label: torch.Tensor, avg_factor=None, **kwargs) -> torch.Tensor:
        return self.loss_weight * dot_regression(cls_score, label).mean()


@MODELS.register_module()
class ChunkedCrossEntropyLoss(nn.Module):
    """Cross-entropy over many classes without the (B, N) logits (:func:`mmebv.losses.chunked_cross_entropy`).

    For a :class:`FixedClsHead`: the head hands it the embeddings, its fixed class vectors and
    1 / temperature instead of logits, and the logits are formed ``chunk`` classes at a time in
    the forward and the backward pass. Hard labels only (soft targets would be (B, N) themselves);
    label smoothing is computed in closed form.

    Args:
        chunk (int): classes per block. Defaults to 65536.
        label_smooth_val (float): ε of label smoothing. Defaults to 0.
        loss_weight (float): weight of the loss. Defaults to 1.0.
    """

    takes_embedding = True

    def __init__(self, chunk: int = 65536, label_smooth_val: float = 0.0, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.chunk, self.label_smooth_val, self.loss_weight = chunk, label_smooth_val, loss_weight

    def forward(self, embedding: torch.Tensor, vectors: torch.Tensor, label: torch.Tensor,
                scale: float) -> torch.Tensor:
        """(B, d) embeddings, (N, d) class vectors, (B, ) labels, logit scale -> the mean loss."""
        return self.loss_weight * chunked_cross_entropy(embedding, vectors, label, scale, self.chunk,
                                                        self.label_smooth_val).mean()

"""A cosine classifier against fixed equiangular basis vectors (pure torch)."""
from typing import Optional

import warnings

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F

from mmebv.ebv import basis_checksum, describe, generate_ebv, load_basis

# A checkpoint's basis within this of the configured one is the same basis generated on other
# hardware (the optimiser's last bits can differ); it is loaded as saved.
SAME_BASIS_ATOL = 1e-4
# Smallest default embedding size: with d = N = 10 a small CNN trained unstably at usual learning
# rates, while d = 128 matched a linear head (shared/FINDINGS.md).
MIN_DEFAULT_DIM = 128


def default_embed_dim(num_classes: int) -> int:
    """d = max(N, 128): an exactly orthonormal basis, and never fewer than 128 dims.

    For very large N (tens of thousands) pass a smaller ``embed_dim`` (512 or 1024) explicitly: the
    basis then becomes equiangular rather than orthonormal and the head stays small.
    """
    return max(num_classes, MIN_DEFAULT_DIM)


def share_from_rank0(basis: torch.Tensor) -> torch.Tensor:
    """In a multi-process job, every process takes rank 0's basis (bit for bit).

    Each process generates the same basis from the same seed; broadcasting it anyway guards against
    hardware whose floating point differs in the last bits. A process whose own basis differed
    warns. Outside a process group it returns ``basis`` as is. Every process must call it (all
    processes build the model, as mmengine's Runner does).
    """
    if not dist.is_available() or not dist.is_initialized() or dist.get_world_size() == 1:
        return basis
    own = basis.clone()
    device = torch.device('cuda', torch.cuda.current_device()) if dist.get_backend() == 'nccl' else basis.device
    shared = basis.to(device)
    dist.broadcast(shared, src=0)
    shared = shared.to(basis.device)
    if not torch.equal(shared, own):
        warnings.warn(f'rank {dist.get_rank()} generated another basis than rank 0 (max difference '
                      f'{(shared - own).abs().max().item():.2e}); using rank 0\'s')
    return shared


class EBVClassifier(nn.Module):
    """Logits = cos(embedding, basis vector of each class) / temperature.

    It stands where an ``nn.Linear(in_features, num_classes)`` stands: input (..., in_features),
    output (..., num_classes); with ``channel_dim=1`` it stands where a 1x1 classifier conv stands:
    input (B, in_features, H, W), output (B, num_classes, H, W). The basis is a persistent buffer named ``basis`` (saved in and
    restored from checkpoints, never touched by optimizers or by mmengine's weight init); the only
    trainable part is the optional projection ``in_features -> embed_dim``.

    Args:
        in_features (int): size of the input features.
        num_classes (int): number of classes N (rows of the basis).
        embed_dim (int, optional): d, the size of the embedding and of each basis vector.
            Defaults to ``max(num_classes, 128)``, see :func:`default_embed_dim`.
        temperature (float): divides the cosines. Defaults to 0.07, as in the EBV paper.
        with_projection (bool): learn a linear map ``in_features -> embed_dim`` before
            normalising. Without it ``in_features`` must equal ``embed_dim``. Defaults to True.
        basis_file (str, optional): a basis file from ``tools/misc/generate_ebv.py``; when given
            the basis is read from it (and checked) instead of generated. Defaults to None.
        seed (int): seed for generating the basis. Defaults to 0.
        method (str): generation method, see :func:`mmebv.ebv.generate_ebv`. Defaults to 'auto'.
        channel_dim (int): the dim of the input that holds the features: -1 for (..., C) inputs,
            1 for (B, C, H, W) feature maps. Defaults to -1.
        adopt_checkpoint_basis (bool): when a loaded state dict holds a different basis than the
            one configured, use the checkpoint's instead of refusing it. Defaults to False.

    An embedding that is exactly zero gives all-zero logits (a uniform prediction), never NaN; a
    non-finite feature raises ``FloatingPointError``.
    """

    def __init__(self,
                 in_features: int,
                 num_classes: int,
                 embed_dim: Optional[int] = None,
                 temperature: float = 0.07,
                 with_projection: bool = True,
                 basis_file: Optional[str] = None,
                 seed: int = 0,
                 method: str = 'auto',
                 channel_dim: int = -1,
                 adopt_checkpoint_basis: bool = False) -> None:
        super().__init__()
        embed_dim = default_embed_dim(num_classes) if embed_dim is None else embed_dim
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if not with_projection and in_features != embed_dim:
            raise ValueError(f'with_projection=False needs in_features == embed_dim, got {in_features} '
                             f'and {embed_dim}: set embed_dim={in_features} or with_projection=True')
        self.in_features, self.num_classes, self.embed_dim = in_features, num_classes, embed_dim
        self.temperature = float(temperature)
        self.channel_dim = channel_dim
        self.adopt_checkpoint_basis = adopt_checkpoint_basis
        self.projection = nn.Linear(in_features, embed_dim) if with_projection else nn.Identity()
        if basis_file is not None:
            basis, meta = load_basis(basis_file, num_classes=num_classes, dim=embed_dim)
            seed, method = meta.get('seed'), meta.get('method')
        else:
            basis = generate_ebv(num_classes, embed_dim, seed=seed, method=method)
        self.basis_meta = dict(seed=seed, method=method)
        self.register_buffer('basis', share_from_rank0(basis), persistent=True)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        saved = state_dict.get(prefix + 'basis')
        if saved is not None:
            same = saved.shape == self.basis.shape and torch.allclose(
                saved.to(self.basis), self.basis, rtol=0, atol=SAME_BASIS_ATOL)
            if not same and not self.adopt_checkpoint_basis:
                raise ValueError(
                    f'the checkpoint\'s basis ({tuple(saved.shape)}, sha256 '
                    f'{basis_checksum(saved)[:12]}) is not the one this config builds '
                    f'({tuple(self.basis.shape)}, sha256 {basis_checksum(self.basis)[:12]}, '
                    f'{self.basis_meta}): set the classifier\'s seed/basis_file/sizes to those it was '
                    f'trained with, or set adopt_checkpoint_basis=True to use the checkpoint\'s basis')
            if saved.shape != self.basis.shape:
                self.basis = torch.empty_like(saved, device=self.basis.device)
                self.num_classes, self.embed_dim = saved.shape
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Project and L2-normalise along ``channel_dim``: in_features -> embed_dim unit vectors."""
        if x.dim() == 0 or x.shape[self.channel_dim] != self.in_features:
            got = x.shape[self.channel_dim] if x.dim() else None
            raise ValueError(f'EBVClassifier expects features of size {self.in_features} in dim '
                             f'{self.channel_dim}, got shape {tuple(x.shape)}: set in_channels to '
                             f'{got}, the size of the features that reach the head')
        if not torch.isfinite(x).all():
            raise FloatingPointError('non-finite (NaN or inf) features reached EBVClassifier: the '
                                     'network diverged upstream; lower the learning rate, enable '
                                     'gradient clipping, or check the input data')
        x = x.movedim(self.channel_dim, -1)
        return F.normalize(self.projection(x), dim=-1).movedim(-1, self.channel_dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """in_features -> num_classes logits along ``channel_dim``."""
        embedding = self.embed(x).movedim(self.channel_dim, -1)
        logits = embedding @ self.basis.T.to(embedding.dtype) / self.temperature
        return logits.movedim(-1, self.channel_dim)

    def reset_classifier(self, num_classes: int, seed: int = 0, method: str = 'auto') -> None:
        """Replace the basis by a generated one for ``num_classes`` classes (same d)."""
        self.num_classes = num_classes
        basis = share_from_rank0(generate_ebv(num_classes, self.embed_dim, seed=seed, method=method))
        self.basis = basis.to(self.basis.device)
        self.basis_meta = dict(seed=seed, method=method)

    def describe_basis(self) -> dict:
        """Sizes, coherence and checksum of the basis in use."""
        return describe(self.basis, **self.basis_meta)

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, num_classes={self.num_classes}, '
                f'embed_dim={self.embed_dim}, temperature={self.temperature}, '
                f'channel_dim={self.channel_dim}')


class EBVDenseClassifierMixin:
    """Replaces a dense head's 1x1 classifier conv by a per-pixel :class:`EBVClassifier`.

    Put it before the host head class: ``class EBVUPerHead(EBVDenseClassifierMixin, UPerHead)``
    and name the attribute that holds the conv in ``classifier_name``. The host builds its
    ``nn.Conv2d(C, num_classes, 1)`` as usual; the mixin then swaps it for an EBV classifier with
    the same input and output channels, so the head's loss and prediction code stay the host's.

    Args:
        ebv_cfg (dict, optional): keyword arguments of :class:`EBVClassifier` other than the
            sizes (``embed_dim``, ``temperature``, ``with_projection``, ``basis_file``, ``seed``,
            ``method``). Defaults to None (all defaults).
    """

    classifier_name: str = ''

    def __init__(self, *args, ebv_cfg: Optional[dict] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        conv = getattr(self, self.classifier_name)
        if not isinstance(conv, nn.Conv2d) or conv.kernel_size != (1, 1):
            raise TypeError(f'{type(self).__name__}.{self.classifier_name} must be a 1x1 Conv2d to '
                            f'be replaced by an EBV classifier, got {type(conv).__name__}')
        setattr(self, self.classifier_name,
                EBVClassifier(conv.in_channels, conv.out_channels, channel_dim=1, **(ebv_cfg or {})))

"""A cosine classifier against fixed equiangular basis vectors (pure torch)."""
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmebv.ebv import describe, generate_ebv, load_basis

# Smallest default embedding size: with d = N = 10 a small CNN trained unstably at usual learning
# rates, while d = 128 matched a linear head (shared/FINDINGS.md).
MIN_DEFAULT_DIM = 128


def default_embed_dim(num_classes: int) -> int:
    """d = max(N, 128): an exactly orthonormal basis, and never fewer than 128 dims.

    For very large N (tens of thousands) pass a smaller ``embed_dim`` (512 or 1024) explicitly: the
    basis then becomes equiangular rather than orthonormal and the head stays small.
    """
    return max(num_classes, MIN_DEFAULT_DIM)


class EBVClassifier(nn.Module):
    """Logits = cos(embedding, basis vector of each class) / temperature.

    It stands where an ``nn.Linear(in_features, num_classes)`` stands: input (..., in_features),
    output (..., num_classes). The basis is a persistent buffer named ``basis`` (saved in and
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
    """

    def __init__(self,
                 in_features: int,
                 num_classes: int,
                 embed_dim: Optional[int] = None,
                 temperature: float = 0.07,
                 with_projection: bool = True,
                 basis_file: Optional[str] = None,
                 seed: int = 0,
                 method: str = 'auto') -> None:
        super().__init__()
        embed_dim = default_embed_dim(num_classes) if embed_dim is None else embed_dim
        if temperature <= 0:
            raise ValueError(f'temperature must be > 0, got {temperature}')
        if not with_projection and in_features != embed_dim:
            raise ValueError(f'with_projection=False needs in_features == embed_dim, got {in_features} '
                             f'and {embed_dim}: set embed_dim={in_features} or with_projection=True')
        self.in_features, self.num_classes, self.embed_dim = in_features, num_classes, embed_dim
        self.temperature = float(temperature)
        self.projection = nn.Linear(in_features, embed_dim) if with_projection else nn.Identity()
        if basis_file is not None:
            basis, meta = load_basis(basis_file, num_classes=num_classes, dim=embed_dim)
            seed, method = meta.get('seed'), meta.get('method')
        else:
            basis = generate_ebv(num_classes, embed_dim, seed=seed, method=method)
        self.basis_meta = dict(seed=seed, method=method)
        self.register_buffer('basis', basis, persistent=True)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Project and L2-normalise: (..., in_features) -> (..., embed_dim) unit vectors."""
        if x.shape[-1] != self.in_features:
            raise ValueError(f'EBVClassifier expects features of size {self.in_features} in the last '
                             f'dim, got shape {tuple(x.shape)}: set in_channels to {x.shape[-1]}')
        return F.normalize(self.projection(x), dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """(..., in_features) -> (..., num_classes) logits."""
        return self.embed(x) @ self.basis.T.to(x.dtype) / self.temperature

    def reset_classifier(self, num_classes: int, seed: int = 0, method: str = 'auto') -> None:
        """Replace the basis by a generated one for ``num_classes`` classes (same d)."""
        self.num_classes = num_classes
        self.basis = generate_ebv(num_classes, self.embed_dim, seed=seed, method=method).to(self.basis.device)
        self.basis_meta = dict(seed=seed, method=method)

    def describe_basis(self) -> dict:
        """Sizes, coherence and checksum of the basis in use."""
        return describe(self.basis, **self.basis_meta)

    def extra_repr(self) -> str:
        return (f'in_features={self.in_features}, num_classes={self.num_classes}, '
                f'embed_dim={self.embed_dim}, temperature={self.temperature}')

"""A cosine classifier against fixed class vectors (pure torch)."""
import json
import warnings
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmebv.ebv import basis_checksum

from .checks import check_count, check_real
from .distributed import build_on_rank0
from .layer import ClassifierLayer
from .registry import build_basis_provider, register_classifier

# A checkpoint's basis within this of the configured one is the same basis generated on other
# hardware (the optimiser's last bits can differ); it is loaded as saved.
SAME_BASIS_ATOL = 1e-4
BASIS_DTYPES = ('float32', 'float16', 'bfloat16')


def encode_origin(origin: dict) -> torch.Tensor:
    """Plain-Python ``origin`` as a uint8 tensor of its JSON: a state-dict entry that stays a tensor."""
    return torch.tensor(list(json.dumps(origin, sort_keys=True).encode()), dtype=torch.uint8)


def decode_origin(tensor: torch.Tensor) -> Optional[dict]:
    """The dict :func:`encode_origin` wrote, or None for anything else."""
    try:
        return json.loads(bytes(tensor.to(torch.uint8).tolist()).decode())
    except (ValueError, UnicodeDecodeError):
        return None


@register_classifier('Fixed')
class FixedClassifier(ClassifierLayer):
    """Logits = cos(embedding, fixed vector of each class) / temperature.

    With the options the three fixed-classifier papers use: ``normalize=False`` gives plain dot
    products with the class vectors (Kasarla et al. 2022), ``learnable_scale=True`` learns the
    factor 1 / temperature and ``bias=True`` a bias per class (Hoffer et al. 2018).

    It stands where an ``nn.Linear(in_features, num_classes)`` stands: input (..., C), output
    (..., N); with ``channel_dim=1`` where a 1x1 classifier conv stands: input (B, C, H, W), output
    (B, N, H, W). The class vectors come from a basis provider (``basis=dict(type=...)``, see
    :mod:`mmebv.classifiers.bases`), and are a persistent buffer named ``basis`` (N, d): saved in
    and restored from checkpoints, never touched by optimizers or by mmengine's weight init. The only
    trainable part is the optional projection C -> d. In a multi-process job rank 0 builds the
    basis and the others receive it. A second buffer, ``basis_origin``, records what built the basis
    (the provider's arguments, the sizes, the generator's version): a checkpoint whose basis differs
    from the one built here but whose origin is the same (an N > d basis refined on another machine,
    where rounding makes the result differ) loads with its own basis and a warning.

    Args:
        in_features (int): C, the size of the input features.
        num_classes (int): N, the number of classes.
        embed_dim (int, optional): d, the size of the embedding and of each class vector. Defaults
            to the basis's choice (EBV: max(N, 128)).
        temperature (float): divides the cosines. Defaults to 0.07 (the EBV paper's).
        with_projection (bool): learn a linear map C -> d before normalising. Without it C must
            equal d. Defaults to True.
        basis (dict, optional): the basis provider and its arguments, e.g.
            ``dict(type='EBV', seed=0)``, ``dict(type='EBV', file='ebv.pth')``,
            ``dict(type='SimplexETF')``. Defaults to None (``dict(type='EBV')``).
        channel_dim (int): the input's feature dim: -1 for (..., C), 1 for (B, C, H, W).
            Defaults to -1.
        adopt_checkpoint_basis (bool): when a loaded state dict holds another basis than the
            configured one, use the checkpoint's instead of refusing it. Defaults to False.
        normalize (bool): L2-normalise the embedding (cosine logits). Defaults to True.
        learnable_scale (bool): learn the logits' scale (a parameter ``logit_scale`` that starts at
            1 / temperature). Defaults to False.
        bias (bool): learn a bias per class (a parameter ``bias``, zero at the start). Defaults to
            False.
        basis_dtype (str): 'float32', or 'float16' / 'bfloat16' to hold the basis in half the
            memory (for very large N; the products widen it to the embedding's dtype chunk by chunk
            in ``ChunkedCrossEntropyLoss``, whole in ``forward``). Defaults to 'float32'.

    An embedding that is exactly zero gives all-zero logits (a uniform prediction), never NaN;
    non-finite features raise ``FloatingPointError`` (read every 50 steps on a GPU, see
    :mod:`mmebv.classifiers.checks`).
    """

    def __init__(self,
                 in_features: int,
                 num_classes: int,
                 embed_dim: Optional[int] = None,
                 temperature: float = 0.07,
                 with_projection: bool = True,
                 *,
                 basis: Optional[dict] = None,
                 channel_dim: int = -1,
                 adopt_checkpoint_basis: bool = False,
                 normalize: bool = True,
                 learnable_scale: bool = False,
                 bias: bool = False,
                 basis_dtype: str = 'float32') -> None:
        super().__init__(in_features, num_classes, channel_dim)
        owner = type(self).__name__
        provider = build_basis_provider(basis)
        num_vectors = provider.num_vectors or num_classes
        if num_classes > num_vectors:
            raise ValueError(f'{owner}: num_classes={num_classes} must be at most the basis\'s '
                             f'num_vectors={num_vectors}')
        embed_dim = provider.default_dim(num_vectors) if embed_dim is None else \
            check_count(owner, 'embed_dim', embed_dim)
        provider.check_dim(num_vectors, embed_dim)
        temperature = check_real(owner, 'temperature', temperature, above=0)
        if basis_dtype not in BASIS_DTYPES:
            raise ValueError(f'basis_dtype must be one of {BASIS_DTYPES}, got {basis_dtype!r}')
        if not with_projection and in_features != embed_dim:
            raise ValueError(f'with_projection=False needs in_features == embed_dim, got {in_features} '
                             f'and {embed_dim}: set embed_dim={in_features} or with_projection=True')
        self.embed_dim, self.temperature, self.normalize = embed_dim, temperature, normalize
        self.logit_scale = nn.Parameter(torch.tensor(1.0 / temperature)) if learnable_scale else None
        self.bias = nn.Parameter(torch.zeros(num_classes)) if bias else None
        self.adopt_checkpoint_basis = adopt_checkpoint_basis
        self.projection = nn.Linear(in_features, embed_dim) if with_projection else nn.Identity()
        vectors = build_on_rank0(lambda: provider.build(num_vectors, embed_dim), (num_vectors, embed_dim))
        self.basis_meta = provider.meta()
        self.register_buffer('basis', vectors[:num_classes].to(getattr(torch, basis_dtype)).contiguous(),
                             persistent=True)
        origin = dict(self.basis_meta, num_vectors=num_vectors, rows=num_classes, dim=embed_dim)
        self.register_buffer('basis_origin', encode_origin(origin), persistent=True)

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        saved = state_dict.get(prefix + 'basis')
        saved_origin = state_dict.get(prefix + 'basis_origin')
        if saved_origin is not None and saved_origin.shape != self.basis_origin.shape:
            self.basis_origin = torch.empty_like(saved_origin, device=self.basis_origin.device)
        if saved is not None:
            same = saved.shape == self.basis.shape and torch.allclose(
                saved.to(self.basis), self.basis, rtol=0, atol=SAME_BASIS_ATOL)
            if not same and saved_origin is not None and saved.shape == self.basis.shape and \
                    decode_origin(saved_origin) == decode_origin(self.basis_origin):
                warnings.warn(f'{type(self).__name__}: the checkpoint\'s basis was built from the same arguments '
                              f'({self.basis_meta}) but differs from the one built here by up to '
                              f'{(saved.float() - self.basis.float()).abs().max().item():.2g} (a refined basis '
                              f'depends on the machine\'s rounding): using the checkpoint\'s, the one it was '
                              f'trained with')
                same = True
            if not same and not self.adopt_checkpoint_basis:
                raise ValueError(
                    f'the checkpoint\'s basis ({tuple(saved.shape)}, sha256 '
                    f'{basis_checksum(saved)[:12]}) is not the one this config builds '
                    f'({tuple(self.basis.shape)}, sha256 {basis_checksum(self.basis)[:12]}, '
                    f'{self.basis_meta}): set the classifier\'s basis and sizes to those it was '
                    f'trained with, or set adopt_checkpoint_basis=True to use the checkpoint\'s basis (for a '
                    f'checkpoint of the same config whose N > d basis was generated by another mmebv version '
                    f'or machine, that is the basis it was trained with)')
            if saved.shape != self.basis.shape:
                self.basis = torch.empty_like(saved, device=self.basis.device)
                self.num_classes, self.embed_dim = saved.shape
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        """Project (and L2-normalise) along ``channel_dim``: C -> d."""
        self.check_input(x)
        return self._embed(x.movedim(self.channel_dim, -1)).movedim(-1, self.channel_dim)

    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        embedding = self.projection(x)
        return F.normalize(embedding, dim=-1) if self.normalize else embedding

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """(..., C) -> (..., N): the embedding's products with the class vectors, scaled."""
        embedding = self._embed(x)
        logits = embedding @ self.basis.T.to(embedding.dtype)
        logits = logits * self.logit_scale if self.logit_scale is not None else logits / self.temperature
        return logits + self.bias if self.bias is not None else logits

    @property
    def gives_cosines(self) -> bool:
        """Whether the logits are the cosines themselves (what dot regression needs)."""
        return self.normalize and self.temperature == 1 and self.logit_scale is None and self.bias is None

    def class_representation(self) -> torch.Tensor:
        """The fixed class vectors (N, d)."""
        return self.basis.detach()

    def extra_repr(self) -> str:
        return (f'{super().extra_repr()}, embed_dim={self.embed_dim}, temperature={self.temperature}, '
                f'normalize={self.normalize}, basis={self.basis_meta}')


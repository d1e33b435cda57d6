"""A cosine classifier against fixed class vectors (pure torch)."""
import json
import warnings
from typing import Optional

import torch
import torch.nn as nn
import torch.nn.functional as F

from mmebv.ebv import basis_checksum, load_basis

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
        grow_from_checkpoint (bool): load a checkpoint of fewer classes: its class vectors must be
            the first rows of this config's basis (within 1e-4; they are kept bit for bit), which
            holds when the basis extends or reserves them (``basis=dict(..., extend_from=[N])``,
            ``num_vectors=N_max`` in both configs, or ``file=`` a ``generate_ebv.py --extend`` file
            of the checkpoint's basis); otherwise it is refused, unless ``adopt_checkpoint_basis``
            (the checkpoint's rows, then this config's new ones). Defaults to False.

    New classes: :meth:`grow` appends class vectors to a built (or trained) classifier, the old
    ones bit for bit, so the old classes get the same logits as before (``bias`` grows by zeros);
    ``grow_from_checkpoint=True`` loads a checkpoint of fewer classes into a model built with more.

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
                 basis_dtype: str = 'float32',
                 grow_from_checkpoint: bool = False) -> None:
        super().__init__(in_features, num_classes, channel_dim, grow_from_checkpoint)
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
        self.provider = provider
        vectors = build_on_rank0(lambda: provider.vectors(num_vectors, embed_dim), (num_vectors, embed_dim))
        self.basis_meta = provider.origin()
        self.register_buffer('basis', vectors[:num_classes].to(getattr(torch, basis_dtype)).contiguous(),
                             persistent=True)
        self.num_vectors = num_vectors
        self.register_buffer('basis_origin', self.encoded_origin(), persistent=True)

    def encoded_origin(self) -> torch.Tensor:
        origin = dict(self.basis_meta, num_vectors=self.num_vectors, rows=self.num_classes, dim=self.embed_dim)
        return encode_origin(origin)

    rewritten_on_growth = ('basis_origin', )

    def class_tensors(self) -> dict:
        return dict(basis=1, bias=1) if self.bias is not None else dict(basis=1)

    def check_grown_rows(self, key: str, saved: torch.Tensor, configured: torch.Tensor) -> None:
        if key != 'basis' or self.adopt_checkpoint_basis:
            return
        if saved.shape != configured.shape or not torch.allclose(saved.to(configured), configured, rtol=0,
                                                                 atol=SAME_BASIS_ATOL):
            gap = (saved.float() - configured.float()).abs().max().item() if saved.shape == configured.shape else None
            old = saved.shape[0]
            raise ValueError(
                f'{type(self).__name__}: the checkpoint\'s {old} class vectors (sha256 {basis_checksum(saved)[:12]}) '
                f'are not the first {old} rows of the basis this config builds ({self.basis_meta}, '
                + (f'max |difference| {gap:.3g}' if gap is not None else 'another shape') +
                f'): a grown model\'s basis must extend the checkpoint\'s. Build the same basis with '
                f'basis=dict(..., extend_from=[{old}]) (or the sessions before), reserve the classes with the same '
                f'num_vectors in every session, or point file= at `generate_ebv.py N_TOTAL D --extend` of the '
                f'checkpoint\'s basis; adopt_checkpoint_basis=True keeps the checkpoint\'s rows beside this config\'s '
                f'new ones')

    def grow(self, num_classes: int, basis_file: Optional[str] = None) -> None:
        """Append class vectors: the old ones stay bit for bit, so the old classes' logits do too.

        The new rows: from ``basis_file`` when given (its first N rows must be the current ones);
        else the reserved vectors (``num_vectors``) where they suffice; else the basis provider's
        extension of the current rows (:meth:`BasisProvider.extend`: for EBV
        :func:`mmebv.ebv.extend_basis` with its ``seed``), the basis a config with
        ``extend_from=[..., N]`` builds. A learned ``bias`` grows by zeros.

        Args:
            num_classes (int): N + M > N.
            basis_file (str, optional): a basis file of at least N + M rows (``generate_ebv.py
                --extend``). Defaults to None.
        """
        self.check_growth(num_classes)
        self.append_classes(num_classes, basis_file)

    def append_classes(self, num_classes: int, basis_file: Optional[str] = None) -> None:
        owner, old, dim = type(self).__name__, self.num_classes, self.embed_dim
        current = self.basis.detach().to('cpu', torch.float32)
        if basis_file is not None:
            vectors, _ = load_basis(basis_file, dim=dim)
            if vectors.shape[0] < num_classes:
                raise ValueError(f'{owner}.grow({num_classes}): {basis_file!r} holds {vectors.shape[0]} vectors, '
                                 f'fewer than {num_classes}: extend it with `generate_ebv.py {num_classes} {dim} '
                                 f'--extend {basis_file} --out FILE`')
            self.check_file_rows(basis_file, vectors[:old], current)
            meta = dict(type=self.basis_meta.get('type'), file=basis_file)
            num_vectors = num_classes
        elif self.provider.num_vectors:
            if num_classes > self.provider.num_vectors:
                raise ValueError(f'{owner}.grow({num_classes}): the basis reserves num_vectors='
                                 f'{self.provider.num_vectors}: grow within them, or give a basis_file')
            vectors = build_on_rank0(lambda: self.provider.vectors(self.num_vectors, dim), (self.num_vectors, dim))
            self.check_file_rows(f'the reserved basis ({self.basis_meta})', vectors[:old], current)
            meta, num_vectors = self.basis_meta, self.num_vectors
        else:
            vectors = build_on_rank0(lambda: self.provider.extend(current, num_classes, dim), (num_classes, dim))
            self.provider.extend_from = list(self.provider.extend_from or []) + [old]
            meta, num_vectors = self.provider.origin(), num_classes
        new = vectors[old:num_classes].to(self.basis)
        self.basis = torch.cat([self.basis, new]).contiguous()
        if self.bias is not None:
            self.bias = nn.Parameter(torch.cat([self.bias.detach(), self.bias.new_zeros(num_classes - old)]))
        self.basis_meta, self.num_vectors, self.num_classes = meta, num_vectors, num_classes
        self.basis_origin = self.encoded_origin().to(self.basis_origin.device)

    def check_file_rows(self, source: str, rows: torch.Tensor, current: torch.Tensor) -> None:
        """Refuse ``source`` whose first rows are not the current class vectors."""
        if not torch.allclose(rows.float(), current, rtol=0, atol=SAME_BASIS_ATOL):
            gap = (rows.float() - current).abs().max().item()
            raise ValueError(f'{type(self).__name__}.grow: the first {len(current)} vectors of {source} differ from '
                             f'this classifier\'s class vectors by up to {gap:.3g} (sha256 {basis_checksum(rows)[:12]} '
                             f'against {basis_checksum(current)[:12]}): give a basis that extends this one '
                             f'(`generate_ebv.py N_TOTAL D --extend` of its basis file)')

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs) -> None:
        if self.grow_entries(state_dict, prefix) is not None:
            # the old rows were checked against this basis (check_grown_rows), or adopted; the
            # checkpoint's origin names its smaller basis
            state_dict[prefix + 'basis_origin'] = self.basis_origin.clone()
            super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)
            return
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
                    f'or machine, that is the basis it was trained with)' +
                    (f'; to add classes to a model trained on {saved.shape[0]}, set grow_from_checkpoint=True'
                     if saved.dim() == 2 and saved.shape[0] < self.basis.shape[0] and not self.grow_from_checkpoint
                     else ''))
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


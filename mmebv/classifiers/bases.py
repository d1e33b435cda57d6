"""The fixed geometries mmebv ships, each a registered basis provider (see :mod:`.registry`).

==================  =========================================  ===================  ================
type                vectors                                    pairwise cosine      needs
==================  =========================================  ===================  ================
``EBV``             Shen et al., CVPR 2023: N unit vectors as  0 (N <= d), else      any N, d
                    close to orthogonal as geometry allows     near the Welch bound
``SimplexETF``      Yang et al., NeurIPS 2022: a simplex       exactly -1/(N-1)     d >= N
                    equiangular tight frame, randomly rotated
``Hadamard``        Hoffer et al., ICLR 2018: rows of a        exactly 0            d = 2^m >= N
                    Sylvester-Hadamard matrix
``MaxSeparation``   Kasarla et al., NeurIPS 2022: the closed-  exactly -1/(N-1)     d >= N - 1
                    form recursive simplex
==================  =========================================  ===================  ================
"""
import math
from typing import Optional, Sequence, Union

import torch

from mmebv.ebv import load_basis
from mmebv.ebv.basis import GENERATOR_VERSION, orthonormal_rows
from mmebv.ebv.cache import generate_cached
from mmebv.ebv.welch_frames import sylvester_hadamard

from .registry import BasisProvider, register_basis

# Smallest default embedding size for EBV: with d = N = 10 a small CNN trained unstably at usual
# learning rates, while d = 128 matched a linear head (shared/FINDINGS.md).
MIN_EBV_DIM = 128


@register_basis('EBV')
class EBVBasis(BasisProvider):
    """Equiangular basis vectors: generated (:func:`mmebv.ebv.generate_ebv`) or read from a file.

    Generation happens once per job (rank 0; the other processes receive the tensor) and, when it
    costs more than a moment, once per machine: the result is kept in an on-disk cache keyed on N,
    d, seed, method, budget and the generator's version (:mod:`mmebv.ebv.cache`), and a relaunch
    reads it. The budget is counted in objective evaluations, never in seconds, so every machine
    generates the same basis and a checkpoint resumes anywhere. A long generation says what it
    does and shows its progress on stderr; ``tools/misc/generate_ebv.py`` spends more work for a
    better basis, read back with ``file=``.

    Args:
        seed (int): generation seed. Defaults to 0.
        method (str): 'auto', 'orthonormal', 'structured' or 'optimize'. Defaults to 'auto'.
        file (str, optional): a basis file (``tools/misc/generate_ebv.py --out``); its N and d are
            checked against the classifier's. Defaults to None (generate).
        budget (int, optional): objective evaluations of the refinement (2 N^2 d multiply-adds
            each). Defaults to None: :func:`mmebv.ebv.basis.default_budget`, at most 2e12
            multiply-adds (44 s on 2 cores for 3000 x 512).
        cache (bool or str): keep generated bases on disk: True for ``$MMEBV_CACHE_DIR`` or
            ``~/.cache/mmebv/bases``, a directory, or False. Defaults to True.
        num_vectors (int, optional): see :class:`BasisProvider` (reserve classes).
        extend_from (list[int], optional): see :class:`BasisProvider` (extend the basis of earlier
            sessions); with ``file``, the file holds the first size's vectors. Each extension is
            :func:`mmebv.ebv.extend_basis` with ``seed``, computed when the classifier is built (not
            cached); ``generate_ebv.py N_TOTAL D --extend OLD --out FILE`` writes one to a file
            once, with more work.

    Example:
        >>> basis = dict(type='EBV', seed=0, cache='/shared/ebv_cache')  # a 10,000-class head
        >>> basis = dict(type='EBV', seed=0, extend_from=[50])  # 50 base classes, then this config's
    """

    def __init__(self, seed: int = 0, method: str = 'auto', file: Optional[str] = None,
                 budget: Optional[int] = None, cache: Union[bool, str] = True,
                 num_vectors: Optional[int] = None, extend_from: Optional[Sequence[int]] = None) -> None:
        super().__init__(num_vectors, extend_from)
        self.seed, self.method, self.file, self.budget, self.cache = seed, method, file, budget, cache

    def default_dim(self, num_classes: int) -> int:
        """max(N, 128): orthonormal vectors, and never fewer than 128 dims. For very large N pass
        a smaller ``embed_dim`` (512, 1024): the vectors become equiangular instead."""
        return max(num_classes, MIN_EBV_DIM)

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        if self.file is None:
            basis, _ = generate_cached(num_classes, dim, seed=self.seed, method=self.method, budget=self.budget,
                                       cache=self.cache)
            return basis
        return load_basis(self.file, num_classes=num_classes, dim=dim)[0]

    def meta(self) -> dict:
        # the same on every process: only rank 0 builds, so nothing read in build() may appear here
        if self.file is not None:
            return dict(type=self.name, file=self.file)
        out = dict(type=self.name, seed=self.seed, method=self.method, file=None)
        if self.budget is not None:
            out['budget'] = self.budget
        out['generator_version'] = GENERATOR_VERSION
        return out


@register_basis('SimplexETF')
class SimplexETFBasis(BasisProvider):
    """A simplex equiangular tight frame: N unit vectors with pairwise cosine exactly -1/(N-1).

    The construction of Yang et al., "Inducing Neural Collapse in Imbalanced Learning", NeurIPS
    2022 (arXiv 2203.09081), as their released ``ETF_Classifier`` builds it:
    M = sqrt(N / (N-1)) U (I_N - 1 1ᵀ / N) with U (d x N) orthonormal columns, one class vector per
    column of M; so d >= N. Their U is the Q factor of an unseeded uniform random matrix; here it is
    the Q factor of a Gaussian matrix drawn from ``seed`` (same geometry, reproducible).

    Args:
        seed (int): seed of the rotation U. Defaults to 0.
        num_vectors (int, optional): see :class:`BasisProvider`; reserving the classes of later
            sessions keeps one simplex over all of them (NC-FSCIL).
        extend_from (list[int], optional): see :class:`BasisProvider`.
    """

    def __init__(self, seed: int = 0, num_vectors: Optional[int] = None,
                 extend_from: Optional[Sequence[int]] = None) -> None:
        super().__init__(num_vectors, extend_from)
        self.seed = seed

    def check_dim(self, num_classes: int, dim: int) -> None:
        if num_classes < 2 or dim < num_classes:
            raise ValueError(f'a simplex ETF of {num_classes} vectors needs N >= 2 and embed_dim >= N '
                             f'(its rotation U has N orthonormal columns), got embed_dim={dim}: set '
                             f'embed_dim >= {max(num_classes, 2)}, or use MaxSeparation (d = N - 1)')

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        n = num_classes
        U = orthonormal_rows(n, dim, self.seed).double()  # (N, d): rows are U's columns
        centred = torch.eye(n, dtype=torch.float64) - 1.0 / n
        return (math.sqrt(n / (n - 1)) * centred @ U).float()

    def meta(self) -> dict:
        return dict(type=self.name, seed=self.seed)


@register_basis('Hadamard')
class HadamardBasis(BasisProvider):
    """Rows of a Sylvester-Hadamard matrix, scaled to unit norm: N mutually orthogonal vectors with
    entries +-1/sqrt(d).

    Hoffer, Hubara & Soudry, "Fix your classifier", ICLR 2018 (arXiv 1801.04540); their released
    ``HadamardProj`` takes the first N rows and d columns of a Sylvester matrix. Those rows are
    orthogonal only when d is a power of 2 and N <= d (beyond that, some classes get identical
    vectors), so both are required here; the default d is the smallest power of 2 >= N. Nothing is
    random. Their classifier also learns a scale and a bias: ``learnable_scale=True, bias=True`` of
    :class:`~mmebv.classifiers.FixedClassifier`.

    Args:
        num_vectors (int, optional): see :class:`BasisProvider`.
    """

    def default_dim(self, num_classes: int) -> int:
        return 1 << max(0, (num_classes - 1).bit_length())

    def check_dim(self, num_classes: int, dim: int) -> None:
        if dim & (dim - 1) or dim < num_classes:
            raise ValueError(f'a Hadamard classifier needs embed_dim a power of 2 and >= {num_classes}, got '
                             f'{dim}: set embed_dim={self.default_dim(num_classes)} or leave it out')

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        return (torch.from_numpy(sylvester_hadamard(dim)[:num_classes]) / math.sqrt(dim)).float()

    def extend(self, old: torch.Tensor, num_classes: int, dim: int) -> torch.Tensor:
        """The next rows of the same Sylvester matrix: orthogonal to the old ones and each other."""
        self.check_dim(num_classes, dim)
        return torch.cat([old.float(), self.build(num_classes, dim)[old.shape[0]:]])


def max_separation_matrix(num_classes: int) -> torch.Tensor:
    """The recursive closed form of Kasarla et al., "Maximum Class Separation as Inductive Bias in
    One Matrix", NeurIPS 2022 (arXiv 2206.08704; their ``create_max_separated_matrix.py``):
    P_1 = [1, -1]; P_k = [[1, -(1/k) 1ᵀ], [0, sqrt(1 - 1/k²) P_{k-1}]], P_k of size k x (k + 1).

    Returns:
        Tensor: (N - 1, N) float64; unit columns, pairwise cosine -1/(N-1).
    """
    if num_classes < 2:
        raise ValueError(f'maximum separation needs at least 2 classes, got {num_classes}')
    # Unrolled: row i holds a_i at column i and -a_i / (N - 1 - i) after it, with a_0 = 1 and
    # a_i = a_{i-1} sqrt(1 - 1 / (N - i)²), the factor of the level it is nested in.
    rows = torch.arange(num_classes - 1, dtype=torch.float64)
    factors = torch.sqrt(1 - 1 / (num_classes - rows[1:])**2)
    a = torch.cat([torch.ones(1, dtype=torch.float64), torch.cumprod(factors, 0)])
    columns = torch.arange(num_classes)
    P = torch.where(columns[None, :] > rows[:, None], -(a / (num_classes - 1 - rows))[:, None], 0.0)
    P[rows.long(), rows.long()] = a
    return P


@register_basis('MaxSeparation')
class MaxSeparationBasis(BasisProvider):
    """The columns of Kasarla et al.'s closed-form matrix (:func:`max_separation_matrix`): N unit
    vectors in N - 1 dims with pairwise cosine -1/(N-1), zero-padded when d > N - 1. Nothing is
    random. Their network feeds a learned linear layer's N - 1 outputs, unnormalised, to this
    matrix: ``normalize=False`` of :class:`~mmebv.classifiers.FixedClassifier`.

    Args:
        num_vectors (int, optional): see :class:`BasisProvider`.
    """

    def default_dim(self, num_classes: int) -> int:
        return max(1, num_classes - 1)

    def check_dim(self, num_classes: int, dim: int) -> None:
        if num_classes < 2 or dim < num_classes - 1:
            raise ValueError(f'maximum separation of {num_classes} classes needs N >= 2 and embed_dim >= '
                             f'N - 1 = {num_classes - 1}, got {dim}: leave embed_dim out (N - 1) or raise it')

    def build(self, num_classes: int, dim: int) -> torch.Tensor:
        vectors = max_separation_matrix(num_classes).T  # (N, N - 1)
        return torch.nn.functional.pad(vectors, (0, dim - vectors.shape[1])).float()

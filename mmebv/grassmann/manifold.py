"""Points of the Grassmannian as k orthonormal rows W (..., k, d), and steps along it.

A k-dim subspace of R^d is represented by any W with W Wᵀ = I_k (its rows span it). Everything is
batched over leading dims, one subspace per class: (N, k, d), which is the layout of a linear layer's
(N k, d) weight with each class's k rows contiguous (as the GCR authors store it). In this layout
every step below reduces to k x k matrices per class: no SVD of a tall matrix.
"""
import torch


def orthonormalize(W: torch.Tensor) -> torch.Tensor:
    """Same subspaces, orthonormal rows: the Qᵀ of a QR of Wᵀ with a positive-diagonal R.

    Args:
        W (Tensor): (..., k, d) with k <= d, full row rank.
    """
    Q, R = torch.linalg.qr(W.transpose(-2, -1))
    signs = torch.sign(torch.diagonal(R, dim1=-2, dim2=-1))
    signs = torch.where(signs == 0, torch.ones_like(signs), signs)
    return (Q * signs.unsqueeze(-2)).transpose(-2, -1)


def random_subspaces(num: int, dim: int, k: int, seed: int = 0) -> torch.Tensor:
    """``num`` uniformly random k-dim subspaces of R^dim: (num, k, dim) float32, orthonormal rows."""
    if not 0 < k <= dim:
        raise ValueError(f'a subspace of dimension k={k} needs 0 < k <= d={dim}')
    generator = torch.Generator().manual_seed(seed)
    columns = torch.randn(num, dim, k, generator=generator, dtype=torch.float64)
    return orthonormalize(columns.transpose(-2, -1)).float().contiguous()


def orthonormality_error(W: torch.Tensor) -> torch.Tensor:
    """max |W Wᵀ - I| over everything in W (..., k, d): a scalar tensor on W's device."""
    gram = W @ W.transpose(-2, -1)
    return (gram - torch.eye(W.shape[-2], dtype=W.dtype, device=W.device)).abs().max()


def project_tangent(W: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """Project an ambient direction D (..., k, d) onto the tangent space at W: D - (D Wᵀ) W."""
    return D - (D @ W.transpose(-2, -1)) @ W


def geodesic_coefficients(gram: torch.Tensor) -> tuple:
    """The two k x k matrices of a geodesic step, from the Gram matrix H Hᵀ (..., k, k) of its tangent.

    With S = Wᵀ and the thin SVD Hᵀ = U Σ Vᵀ, the geodesic is S V cos(Σ) Vᵀ + U sin(Σ) Vᵀ (Edelman,
    Arias & Smith 1998). Since U sin(Σ) = Hᵀ V sinc(Σ), in rows it is W(1) = along @ W + across @ H
    with along = V cos(Σ) Vᵀ and across = V sinc(Σ) Vᵀ, where V and Σ² come from the k x k
    eigenproblem H Hᵀ = V Σ² Vᵀ: no SVD of a tall matrix, no division by a vanishing singular value.

    Returns:
        tuple[Tensor, Tensor]: ``along`` and ``across``, (..., k, k).
    """
    eigvals, V = torch.linalg.eigh(gram)
    sigma = eigvals.clamp_min(0).sqrt()
    Vh = V.transpose(-2, -1)
    along = (V * torch.cos(sigma).unsqueeze(-2)) @ Vh
    across = (V * torch.sinc(sigma / torch.pi).unsqueeze(-2)) @ Vh  # torch.sinc(x) = sin(pi x) / (pi x)
    return along, across


def geodesic_step(W: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
    """Follow the geodesic from W with tangent H (..., k, d) for unit time (see
    :func:`geodesic_coefficients`)."""
    along, across = geodesic_coefficients(H @ H.transpose(-2, -1))
    return along @ W + across @ H


def retract(W: torch.Tensor, H: torch.Tensor, method: str = 'geodesic') -> torch.Tensor:
    """Move from W along the tangent H and land on the manifold.

    Args:
        W (Tensor): (..., k, d) orthonormal rows.
        H (Tensor): (..., k, d) tangent vectors at W.
        method (str): 'geodesic' (exact exponential map), 'qr' (QR of W + H) or 'polar'
            (polar factor of W + H). Defaults to 'geodesic'.
    """
    if method == 'geodesic':
        return geodesic_step(W, H)
    if method == 'qr':
        return orthonormalize(W + H)
    if method == 'polar':
        U, _, Vh = torch.linalg.svd(W + H, full_matrices=False)
        return U @ Vh
    raise ValueError(f"unknown retraction {method!r}: use 'geodesic', 'qr' or 'polar'")


def subspace_angles(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Principal angles (radians, ascending) between the row spaces of A (..., k, d) and B (..., l, d)."""
    cosines = torch.linalg.svdvals(A @ B.transpose(-2, -1)).clamp(-1, 1)
    return torch.arccos(cosines).flip(-1)

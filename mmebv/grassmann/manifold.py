"""Points of the Grassmannian as orthonormal bases S (..., d, k), and steps along it.

A k-dim subspace of R^d is represented by any S with SᵀS = I; everything here is batched over
leading dims (one subspace per class: (C, d, k)).
"""
import torch


def orthonormalize(S: torch.Tensor) -> torch.Tensor:
    """The Q of a QR decomposition with a positive-diagonal R: same subspace, SᵀS = I.

    Args:
        S (Tensor): (..., d, k) with k <= d, full column rank.
    """
    Q, R = torch.linalg.qr(S)
    signs = torch.sign(torch.diagonal(R, dim1=-2, dim2=-1))
    signs = torch.where(signs == 0, torch.ones_like(signs), signs)
    return Q * signs.unsqueeze(-2)


def random_subspaces(num: int, dim: int, k: int, seed: int = 0) -> torch.Tensor:
    """``num`` uniformly random k-dim subspaces of R^dim as a (num, dim, k) orthonormal tensor."""
    if not 0 < k <= dim:
        raise ValueError(f'a subspace of dimension k={k} needs 0 < k <= d={dim}')
    generator = torch.Generator().manual_seed(seed)
    return orthonormalize(torch.randn(num, dim, k, generator=generator, dtype=torch.float64)).float()


def project_tangent(S: torch.Tensor, D: torch.Tensor) -> torch.Tensor:
    """Project an ambient direction D (..., d, k) onto the tangent space at S: D - S SᵀD."""
    return D - S @ (S.transpose(-2, -1) @ D)


def geodesic_step(S: torch.Tensor, H: torch.Tensor) -> torch.Tensor:
    """Follow the geodesic from S with tangent H (..., d, k) for unit time.

    With the thin SVD H = U Σ Vᵀ: S(1) = S V cos(Σ) Vᵀ + U sin(Σ) Vᵀ (Edelman, Arias & Smith 1998).
    U sin(Σ) = H V sinc(Σ), so only the small k x k eigenproblem HᵀH = V Σ² Vᵀ is solved: no SVD
    of the tall (d, k) matrix, and no division by a vanishing singular value.
    """
    eigvals, V = torch.linalg.eigh(H.transpose(-2, -1) @ H)
    sigma = eigvals.clamp_min(0).sqrt()
    Vh = V.transpose(-2, -1)
    cos_part = (S @ V) * torch.cos(sigma).unsqueeze(-2)
    sin_part = (H @ V) * torch.sinc(sigma / torch.pi).unsqueeze(-2)  # torch.sinc(x) = sin(pi x) / (pi x)
    return (cos_part + sin_part) @ Vh


def retract(S: torch.Tensor, H: torch.Tensor, method: str = 'geodesic') -> torch.Tensor:
    """Move from S along the tangent H and land on the manifold.

    Args:
        S (Tensor): (..., d, k) orthonormal bases.
        H (Tensor): (..., d, k) tangent vectors at S.
        method (str): 'geodesic' (exact exponential map), 'qr' (QR of S + H) or 'polar'
            (polar factor of S + H). Defaults to 'geodesic'.
    """
    if method == 'geodesic':
        return geodesic_step(S, H)
    if method == 'qr':
        return orthonormalize(S + H)
    if method == 'polar':
        U, _, Vh = torch.linalg.svd(S + H, full_matrices=False)
        return U @ Vh
    raise ValueError(f"unknown retraction {method!r}: use 'geodesic', 'qr' or 'polar'")


def subspace_angles(A: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Principal angles (radians, ascending) between the subspaces of A (..., d, k) and B."""
    cosines = torch.linalg.svdvals(A.transpose(-2, -1) @ B).clamp(-1, 1)
    return torch.arccos(cosines).flip(-1)

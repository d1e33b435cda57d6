"""Equiangular basis vectors, pure torch: no OpenMMLab import happens here."""
from .basis import generate_ebv
from .io import BasisFileError, basis_checksum, describe, load_basis, save_basis
from .metrics import coherence, welch_bound

__all__ = [
    'generate_ebv', 'coherence', 'welch_bound', 'basis_checksum', 'describe', 'save_basis',
    'load_basis', 'BasisFileError'
]

"""Equiangular basis vectors, pure torch: no OpenMMLab import happens here."""
from .basis import basis_checksum, coherence, describe, generate_ebv, welch_bound
from .io import BasisFileError, load_basis, save_basis

__all__ = [
    'generate_ebv', 'coherence', 'welch_bound', 'basis_checksum', 'describe', 'save_basis',
    'load_basis', 'BasisFileError'
]

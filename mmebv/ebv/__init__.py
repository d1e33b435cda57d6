"""Equiangular basis vectors, pure torch: no OpenMMLab import happens here."""
from .basis import generate_ebv
from .extend import extend_basis
from .io import BasisFileError, basis_checksum, check_basis, describe, inspect_basis_file, load_basis, save_basis
from .metrics import coherence, welch_bound

__all__ = [
    'generate_ebv', 'extend_basis', 'coherence', 'welch_bound', 'basis_checksum', 'describe', 'save_basis',
    'load_basis', 'BasisFileError', 'check_basis', 'inspect_basis_file'
]

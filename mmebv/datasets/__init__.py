"""Deprecated: ``LocalFashionMNIST`` is registered by :mod:`mmebv.cls`; this still registers it."""
import warnings

from mmebv.cls.datasets import LocalFashionMNIST

warnings.warn("custom_imports 'mmebv.datasets' is deprecated: 'mmebv.cls' registers LocalFashionMNIST",
              FutureWarning, stacklevel=2)

__all__ = ['LocalFashionMNIST']

"""mmebv: fixed and geometric classifiers (Equiangular Basis Vectors and relatives) for OpenMMLab.

Importing ``mmebv`` registers nothing and imports no OpenMMLab package. The package has two layers:

- the host-neutral core, pure torch: :mod:`mmebv.ebv` (basis generation and files),
  :mod:`mmebv.classifiers` (the fixed classifier, its basis providers, input checks, basis sharing
  across processes), :mod:`mmebv.losses`, :mod:`mmebv.grassmann`, :mod:`mmebv.analysis`,
  :mod:`mmebv.data`, :mod:`mmebv.utils`;
- one thin glue package per host, each importing the core and never another host's glue, and
  registering by import (a config's ``custom_imports``): :mod:`mmebv.cls` (mmpretrain),
  :mod:`mmebv.det` (mmdet), :mod:`mmebv.seg` (mmseg), :mod:`mmebv.engine` (mmengine).

The supported and tested versions are in :mod:`mmebv.compatibility`.
"""
from .version import __version__, version_info

__all__ = ['__version__', 'version_info']

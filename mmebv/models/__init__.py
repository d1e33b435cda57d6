"""Deprecated: ``mmebv.models`` is now :mod:`mmebv.cls` (and ``mmebv.models.det`` / ``.seg`` are
:mod:`mmebv.det` / :mod:`mmebv.seg`). Importing this still registers everything ``mmebv.cls`` does,
so configs written for mmebv 0.1 keep working; it warns once."""
import warnings

from mmebv.classifiers import EBVClassifier  # noqa: F401
from mmebv.cls import *  # noqa: F401,F403
from mmebv.cls import __all__ as _cls_all

warnings.warn("custom_imports 'mmebv.models' is deprecated: import 'mmebv.cls' (mmpretrain), 'mmebv.det' "
              "(mmdet) or 'mmebv.seg' (mmseg) instead", FutureWarning, stacklevel=2)

__all__ = list(_cls_all) + ['EBVClassifier']

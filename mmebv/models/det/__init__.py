"""Deprecated: use :mod:`mmebv.det` (this path also loads mmpretrain, through ``mmebv.models``)."""
from mmebv.det import *  # noqa: F401,F403
from mmebv.det import __all__  # noqa: F401

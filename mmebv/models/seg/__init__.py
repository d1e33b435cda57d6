"""Deprecated: use :mod:`mmebv.seg` (this path also loads mmpretrain, through ``mmebv.models``)."""
from mmebv.seg import *  # noqa: F401,F403
from mmebv.seg import __all__  # noqa: F401

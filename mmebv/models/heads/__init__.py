from .ebv_cls_head import EBVClsHead
from .grassmann_cls_head import GrassmannClsHead
from .largest_margin_cls_head import LargestMarginClsHead

__all__ = ['EBVClsHead', 'GrassmannClsHead', 'LargestMarginClsHead']

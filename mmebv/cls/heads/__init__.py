from .checked_cls_head import CheckedClsHead
from .dml_crc_cls_head import DMLCRCClsHead
from .fixed_cls_head import EBVClsHead, FixedClsHead
from .grassmann_cls_head import GrassmannClsHead
from .largest_margin_cls_head import LargestMarginClsHead

__all__ = ['CheckedClsHead', 'DMLCRCClsHead', 'EBVClsHead', 'FixedClsHead', 'GrassmannClsHead', 'LargestMarginClsHead']

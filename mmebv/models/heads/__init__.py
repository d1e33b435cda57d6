from .dml_crc_cls_head import DMLCRCClsHead
from .ebv_cls_head import EBVClsHead
from .grassmann_cls_head import GrassmannClsHead
from .largest_margin_cls_head import LargestMarginClsHead

__all__ = ['DMLCRCClsHead', 'EBVClsHead', 'GrassmannClsHead', 'LargestMarginClsHead']

from .ebv_cls_head import EBVClsHead

__all__ = ['EBVClsHead']

from .geometric_cls_head import EBVClsHead, GeometricClsHead

__all__ = ['EBVClsHead', 'GeometricClsHead']

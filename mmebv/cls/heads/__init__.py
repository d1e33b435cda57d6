from .geometric_cls_head import EBVClsHead, GeometricClsHead
from .sharded_cls_head import ShardedClsHead

__all__ = ['EBVClsHead', 'GeometricClsHead', 'ShardedClsHead']

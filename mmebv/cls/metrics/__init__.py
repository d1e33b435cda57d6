from .incremental import IncrementalAccuracy

__all__ = ['IncrementalAccuracy']

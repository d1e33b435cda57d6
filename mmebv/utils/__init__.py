from .profiling import Measure
from .safe_loading import allow_mmengine_checkpoint_types, mmengine_checkpoint_types

__all__ = ['allow_mmengine_checkpoint_types', 'mmengine_checkpoint_types', 'Measure']

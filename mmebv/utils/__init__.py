"""Small helpers with no OpenMMLab import: timing and memory, publishing checkpoints, import checks."""
from .profiling import Measure

__all__ = ['Measure']

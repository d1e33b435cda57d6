"""Let torch's safe loading (``weights_only=True``) read mmengine's own training checkpoints.

torch >= 2.6 loads with ``weights_only=True`` unless told otherwise and mmengine 0.10.7 does not pass
the flag, so resuming a Runner checkpoint fails on the few non-tensor types mmengine stores (the
message hub's ``HistoryBuffer`` and the numpy values inside it). This allow-lists exactly those
types; every other pickled object is still refused. Safe loading stays on for every file.
"""
import builtins

import numpy as np
import torch


def mmengine_checkpoint_types() -> list:
    """The globals an mmengine Runner checkpoint needs beyond tensors and plain Python."""
    from mmengine.logging.history_buffer import HistoryBuffer
    multiarray = getattr(np, '_core', None) or np.core  # numpy 2 renamed core to _core
    types = [HistoryBuffer, multiarray.multiarray._reconstruct, multiarray.multiarray.scalar,
             np.ndarray, np.dtype, builtins.getattr]
    types += [type(np.dtype(name)) for name in ('float64', 'float32', 'int64', 'int32', 'bool')]
    return types


def allow_mmengine_checkpoint_types() -> None:
    """Allow-list :func:`mmengine_checkpoint_types` for ``torch.load(weights_only=True)``."""
    if hasattr(torch.serialization, 'add_safe_globals'):  # torch >= 2.4
        torch.serialization.add_safe_globals(mmengine_checkpoint_types())

"""mmebv on mmengine (training loop). Importing this registers, in mmengine's root registries:

- ``HOOKS``: ``ProgressBarHook``, ``EpochSeedHook``, ``AtomicCheckpointHook`` (checkpoints written
  to a temporary file and renamed, old ones removed only after the new one is complete, and only
  regular files of its own checkpoint names in the run's directory, whatever a checkpoint names),
  ``CheckpointMatchHook`` (a checkpoint that does not fit the model stops the run);
- ``OPTIMIZERS``: ``RiemannianSGD`` and ``RiemannianAdamW`` (Grassmann parameters on their manifold,
  the rest plain SGD / AdamW);

and makes mmengine's loader of local checkpoint files (``load_from``, resume, ``load_checkpoint``,
``init_cfg=dict(type='Pretrained')``) read them with torch's safe loading plus mmengine's own
types, through a stand-in that serves only what those types need (see
:mod:`mmebv.engine.safe_loading`). torch's allow-list for other callers of ``torch.load`` is left
as it is. It imports mmengine only: never mmpretrain, mmdet or mmseg.
"""
from mmebv.compatibility import check_supported

check_supported('torch', 'mmengine')

from .checkpoints import (AtomicCheckpointHook, CheckpointMatchHook, check_weights_match,  # noqa: E402
                          find_resumable_checkpoint)
from .hooks import EpochSeedHook, ProgressBarHook  # noqa: E402
from .optimizers import RiemannianAdamW, RiemannianSGD  # noqa: E402
from .safe_loading import CheckpointError, load_checkpoint_file, use_safe_loading_in_mmengine  # noqa: E402

use_safe_loading_in_mmengine()

__all__ = ['AtomicCheckpointHook', 'CheckpointError', 'CheckpointMatchHook', 'EpochSeedHook', 'ProgressBarHook',
           'RiemannianAdamW', 'RiemannianSGD', 'check_weights_match', 'find_resumable_checkpoint',
           'load_checkpoint_file']

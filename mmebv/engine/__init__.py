"""mmebv on mmengine (training loop). Importing this registers, in mmengine's root registries:

- ``HOOKS``: ``ProgressBarHook``, ``EpochSeedHook``;
- ``OPTIMIZERS``: ``RiemannianSGD`` and ``RiemannianAdamW`` (Grassmann parameters on their manifold,
  the rest plain SGD / AdamW);

and allow-lists the types of mmengine's own checkpoints for torch's safe loading (see
:mod:`mmebv.engine.safe_loading`). It imports mmengine only: never mmpretrain, mmdet or mmseg.
"""
from mmebv.stack import check_supported

check_supported('torch', 'mmengine')

from .hooks import EpochSeedHook, ProgressBarHook  # noqa: E402
from .optimizers import RiemannianAdamW, RiemannianSGD  # noqa: E402
from .safe_loading import allow_mmengine_checkpoint_types  # noqa: E402

allow_mmengine_checkpoint_types()

__all__ = ['EpochSeedHook', 'ProgressBarHook', 'RiemannianAdamW', 'RiemannianSGD', 'allow_mmengine_checkpoint_types']

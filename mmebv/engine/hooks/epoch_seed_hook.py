import random

import numpy as np
import torch
from mmengine.hooks import Hook
from mmengine.registry import HOOKS


@HOOKS.register_module()
class EpochSeedHook(Hook):
    """Re-seed Python, numpy and torch at the start of every training epoch from (seed, epoch).

    mmengine restores weights, optimizer and schedulers on resume, but not the random state that
    data augmentation in the main process draws from; re-seeding per epoch makes a run resumed at
    an epoch boundary draw exactly what the uninterrupted run drew. Worker processes are seeded by
    mmengine per worker, identically every epoch, unless ``persistent_workers=True`` carries their
    state across epochs: exact resume needs ``num_workers=0`` or ``persistent_workers=False``.
    """

    priority = 'VERY_HIGH'

    def before_train_epoch(self, runner) -> None:
        seed = (runner.seed or 0) * 100003 + runner.epoch
        random.seed(seed)
        np.random.seed(seed % 2**32)
        torch.manual_seed(seed)

"""Images and labels made from nothing: a throughput benchmark's data (insightface Partial FC's
protocol), with no file to prepare or read."""
from typing import Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset
from mmpretrain.registry import DATASETS

from mmebv.classifiers import check_count


@DATASETS.register_module()
class SyntheticClassification(BaseDataset):
    """``num_samples`` random images with random labels; sample i comes from a generator seeded by
    (``seed``, i), so it is the same in every epoch, worker and process, and nothing is held in
    memory: any number of samples costs nothing until read.

    A sample is ``dict(img=(H, W, 3) uint8, gt_label=int in [0, num_classes), sample_idx=i)``, what
    ``LoadImageFromFile`` gives the pipeline; the image and its label are independent draws (the
    data of a speed and memory benchmark, not of a task to learn).

    Args:
        num_classes (int): N; the labels are uniform over [0, N).
        num_samples (int): the length of the set.
        image_size (int | tuple[int, int]): H = W, or (H, W). Defaults to 112 (Partial FC's faces).
        seed (int): the seed of every sample. Defaults to 0.
        pipeline (Sequence[dict]): the transforms. Defaults to ``()``.
        indices (int | Sequence[int], optional): keep the first n samples, or these ones (as
            mmengine's ``BaseDataset``; ``MMEBV_SMOKE=1`` sets it). Defaults to None (all).
        test_mode (bool): as mmengine's ``BaseDataset``. Defaults to False.

    Example:
        >>> train = dict(type='SyntheticClassification', num_classes=10_000_000, num_samples=1_024_000,
        ...              image_size=112, pipeline=[dict(type='PackInputs')])
    """

    def __init__(self,
                 num_classes: int,
                 num_samples: int,
                 image_size: Union[int, Sequence[int]] = 112,
                 seed: int = 0,
                 pipeline: Sequence[dict] = (),
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 test_mode: bool = False) -> None:
        owner = type(self).__name__
        self.num_classes = check_count(owner, 'num_classes', num_classes)
        self.num_samples = check_count(owner, 'num_samples', num_samples)
        size = (image_size, image_size) if isinstance(image_size, int) else tuple(image_size)
        if len(size) != 2:
            raise ValueError(f'{owner}: image_size must be an int or (H, W), got {image_size!r}')
        self.image_size = tuple(check_count(owner, 'image_size', s) for s in size)
        self.seed = check_count(owner, 'seed', seed, minimum=0)
        if indices is None:
            self.ids = range(self.num_samples)
        elif isinstance(indices, int) and not isinstance(indices, bool):
            self.ids = range(min(check_count(owner, 'indices', indices), self.num_samples))
        else:
            self.ids = [check_count(owner, 'indices[i]', i, minimum=0) for i in indices]
            if not self.ids or max(self.ids) >= self.num_samples:
                raise ValueError(f'{owner}: indices must name samples in [0, {self.num_samples}), got '
                                 f'{list(indices)[:10]}')
        super().__init__(pipeline=pipeline, test_mode=test_mode, lazy_init=True, serialize_data=False)

    def full_init(self) -> None:
        """Nothing to load: the samples are made when read."""
        self._fully_initialized = True

    def __len__(self) -> int:
        return len(self.ids)

    def get_data_info(self, idx: int) -> dict:
        """Sample ``idx`` of this set, before the pipeline."""
        index = self.ids[idx]
        generator = np.random.default_rng([self.seed, index])
        label = int(generator.integers(self.num_classes))
        image = generator.integers(0, 256, (*self.image_size, 3), dtype=np.uint8)
        return dict(img=image, img_shape=self.image_size, ori_shape=self.image_size, gt_label=label,
                    sample_idx=index)

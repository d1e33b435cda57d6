import mmcv
import numpy as np
from mmcv.transforms import BaseTransform
from mmpretrain.registry import TRANSFORMS


@TRANSFORMS.register_module()
class ToGrey(BaseTransform):
    """Make ``results['img']`` a one-channel (H, W) image; a grey image passes unchanged.

    Datasets such as Fashion-MNIST give grey (H, W) images, but an image file read by
    mmpretrain's ``ImageClassificationInferencer`` arrives as a BGR colour image (H, W, 3), which a
    one-channel model cannot take. Colour is converted as OpenCV's ``COLOR_BGR2GRAY`` does
    (0.299 R + 0.587 G + 0.114 B); an alpha channel is dropped first. Deterministic: draws no random
    numbers.

    Args:
        channel_order (str): 'bgr' (mmcv's ``imread`` default) or 'rgb'. Defaults to 'bgr'.
    """

    def __init__(self, channel_order: str = 'bgr') -> None:
        if channel_order not in ('bgr', 'rgb'):
            raise ValueError(f"channel_order must be 'bgr' or 'rgb', got {channel_order!r}")
        self.channel_order = channel_order

    def transform(self, results: dict) -> dict:
        img = results['img']
        if img.ndim == 3 and img.shape[2] == 1:
            img = img[:, :, 0]
        elif img.ndim == 3 and img.shape[2] in (3, 4):
            img = np.ascontiguousarray(img[:, :, :3])
            img = mmcv.bgr2gray(img) if self.channel_order == 'bgr' else mmcv.rgb2gray(img)
        elif img.ndim != 2:
            raise ValueError(f'ToGrey expects an (H, W), (H, W, 1), (H, W, 3) or (H, W, 4) image, '
                             f'got shape {img.shape}')
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(channel_order={self.channel_order!r})'

"""Small semi-synthetic classification, detection and segmentation sets: real Fashion-MNIST items on
backgrounds.

There is no ImageNet, COCO or ADE20K on the machines mmebv is tested on. These sets keep the real
on-disk formats (ImageNet's class folders with meta/{train,val}.txt; COCO instances JSON with
boxes and polygon masks; ADE20K's images + label PNGs), so mmpretrain's, mmdet's and mmseg's
configs read them unchanged. The objects are real Fashion-MNIST
images (upscaled, tinted, pasted onto smooth random backgrounds); their layout is synthetic.

Labels: Fashion-MNIST class i is written as the i-th category of the target dataset (ImageNet
labels 0-9, 'tench' ... ; COCO ids 1-10, 'person' ... 'traffic light'; ADE20K label values 2-11,
'building' ... 'cabinet'); the background is ADE20K's first class ('wall', value 1). The category *names* are the target dataset's, so its
configs need no change; they do not describe the objects.

No OpenMMLab import here: numpy, OpenCV and the IDX files only.
"""
import json
import os
import os.path as osp
import shutil
from typing import Dict, List, Sequence, Tuple

import cv2
import numpy as np

from .fashion_mnist import read_split

FASHION_MNIST_CLASSES = ('T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt',
                         'Sneaker', 'Bag', 'Ankle boot')
# The 80 category ids of COCO 2017, in the order of its category names.
COCO_CATEGORY_IDS = (1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
                     24, 25, 27, 28, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 46, 47,
                     48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64, 65, 67, 70,
                     72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 84, 85, 86, 87, 88, 89, 90)
ADE20K_BACKGROUND = 1  # label value of 'wall'; Fashion-MNIST class i is i + 2
MARKER = 'SEMISYNTHETIC.md'
SPLITS = {'train': 'train', 'val': 't10k'}  # which Fashion-MNIST split feeds which of ours


def background(rng: np.random.Generator, size: int) -> np.ndarray:
    """A smooth random colour field with fine noise: (size, size, 3) uint8."""
    coarse = rng.uniform(20, 150, (4, 4, 3)).astype(np.float32)
    field = cv2.resize(coarse, (size, size), interpolation=cv2.INTER_CUBIC)
    field += rng.normal(0, 6, field.shape).astype(np.float32)
    return np.clip(field, 0, 255).astype(np.uint8)


def compose(rng: np.random.Generator, images: np.ndarray, labels: np.ndarray, size: int,
            max_objects: int) -> Tuple[np.ndarray, List[Tuple[int, np.ndarray]]]:
    """One picture and its objects as (Fashion-MNIST class, visible boolean mask (size, size)).

    Objects are 2-4.5x upscaled items with a random tint; a placement that overlaps an earlier box
    by more than 10% IoU is retried, and what a later object covers is removed from earlier masks.
    """
    canvas = background(rng, size).astype(np.float32)
    objects, boxes = [], []
    for _ in range(rng.integers(1, max_objects + 1)):
        index = rng.integers(len(images))
        side = int(28 * rng.uniform(2.0, 4.5))
        side = min(side, size)
        for _attempt in range(20):
            x, y = (int(v) for v in rng.integers(0, size - side + 1, 2))
            box = (x, y, x + side, y + side)
            if all(_iou(box, other) < 0.1 for other in boxes):
                break
        else:
            continue
        gray = cv2.resize(images[index], (side, side), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        alpha = np.clip(gray / 96.0, 0, 1)[..., None]
        tint = rng.uniform(0.55, 1.0, 3).astype(np.float32) * 255
        patch = canvas[y:y + side, x:x + side]
        canvas[y:y + side, x:x + side] = patch * (1 - alpha) + (gray[..., None] / 255) * tint * alpha
        mask = np.zeros((size, size), bool)
        mask[y:y + side, x:x + side] = gray > 48
        for _, earlier in objects:
            earlier &= ~mask
        objects.append((int(labels[index]), mask))
        boxes.append(box)
    visible = [(label, mask) for label, mask in objects if mask.sum() >= 32]
    return np.clip(canvas, 0, 255).astype(np.uint8), visible


def _iou(a: Sequence[int], b: Sequence[int]) -> float:
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def mask_to_polygons(mask: np.ndarray) -> List[List[float]]:
    """Outer contours of a boolean mask as COCO polygons [x1, y1, x2, y2, ...] (>= 3 points)."""
    contours, _ = cv2.findContours(mask.astype(np.uint8), cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return [c.reshape(-1).astype(float).tolist() for c in contours if len(c) >= 3]


def prepare_folder(out: str) -> None:
    """Create ``out``, or empty it if an earlier run of this tool made it; refuse anything else."""
    if osp.isdir(out) and os.listdir(out):
        if not osp.isfile(osp.join(out, MARKER)):
            raise FileExistsError(f'{out} exists and was not made by this tool (no {MARKER}): it may '
                                  f'hold a real dataset. Choose another --out or remove it yourself')
        shutil.rmtree(out)
    os.makedirs(out, exist_ok=True)


def write_marker(out: str, kind: str, counts: Dict[str, int], seed: int, names: Sequence[str]) -> None:
    mapping = '\n'.join(f'| {fm} | {name} |' for fm, name in zip(FASHION_MNIST_CLASSES, names))
    sizes = ', '.join(f'{split} {n}' for split, n in counts.items())
    with open(osp.join(out, MARKER), 'w') as f:
        f.write(f'# Semi-synthetic {kind} set made by mmebv (not the real {kind})\n\n'
                f'Real Fashion-MNIST items pasted onto random backgrounds (seed {seed}; {sizes}).\n'
                f'Each item class is written under a {kind} category name:\n\n'
                f'| Fashion-MNIST class | written as |\n|---|---|\n{mapping}\n')


def make_coco(out: str, fashion_root: str, coco_names: Sequence[str], num_train: int = 200,
              num_val: int = 50, size: int = 256, max_objects: int = 4, seed: int = 0) -> Dict[str, int]:
    """Write ``out/{train2017,val2017}/*.jpg`` and ``out/annotations/instances_*2017.json``.

    Args:
        out (str): the COCO root (a config's ``data_root``, e.g. 'data/coco/').
        fashion_root (str): folder with Fashion-MNIST's IDX files.
        coco_names (Sequence[str]): COCO's 80 category names, in order (mmdet's metainfo).
        num_train, num_val (int): images per split. Defaults to 200 and 50.
        size (int): image side in pixels. Defaults to 256.
        max_objects (int): objects per image, at most. Defaults to 4.
        seed (int): seed of everything random. Defaults to 0.

    Returns:
        dict: the number of instances written per split.
    """
    if len(coco_names) != len(COCO_CATEGORY_IDS):
        raise ValueError(f'expected COCO\'s 80 category names, got {len(coco_names)}')
    prepare_folder(out)
    categories = [dict(id=i, name=n, supercategory='none') for i, n in zip(COCO_CATEGORY_IDS, coco_names)]
    counts = {}
    for split, count in (('train', num_train), ('val', num_val)):
        images, labels = read_split(fashion_root, SPLITS[split])
        rng = np.random.default_rng([seed, split == 'val'])
        os.makedirs(osp.join(out, f'{split}2017'), exist_ok=True)
        image_infos, annotations = [], []
        for image_id in range(1, count + 1):
            picture, objects = compose(rng, images, labels, size, max_objects)
            file_name = f'{image_id:012d}.jpg'
            cv2.imwrite(osp.join(out, f'{split}2017', file_name), picture[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            image_infos.append(dict(id=image_id, file_name=file_name, height=size, width=size))
            for label, mask in objects:
                ys, xs = np.nonzero(mask)
                x0, y0 = float(xs.min()), float(ys.min())
                annotations.append(dict(
                    id=len(annotations) + 1, image_id=image_id, category_id=COCO_CATEGORY_IDS[label],
                    segmentation=mask_to_polygons(mask), area=float(mask.sum()), iscrowd=0,
                    bbox=[x0, y0, float(xs.max()) + 1 - x0, float(ys.max()) + 1 - y0]))
        os.makedirs(osp.join(out, 'annotations'), exist_ok=True)
        info = dict(description='semi-synthetic: real Fashion-MNIST items on random backgrounds, '
                    f'written under COCO category names; see {MARKER}', version='1.0')
        with open(osp.join(out, 'annotations', f'instances_{split}2017.json'), 'w') as f:
            json.dump(dict(info=info, images=image_infos, annotations=annotations,
                           categories=categories, licenses=[]), f)
        counts[split] = len(annotations)
    write_marker(out, 'COCO', counts, seed, coco_names[:10])
    return counts


def make_ade20k(out: str, fashion_root: str, ade_names: Sequence[str], num_train: int = 200,
                num_val: int = 50, size: int = 256, max_objects: int = 4, seed: int = 0) -> Dict[str, int]:
    """Write ``out/images/{training,validation}/*.jpg`` and ``out/annotations/.../*.png``.

    Label PNGs hold ADE20K's values: 1 ('wall') for the background, i + 2 for Fashion-MNIST class i,
    so ``reduce_zero_label=True`` maps them to classes 0 and i + 1. Arguments as
    :func:`make_coco` (``ade_names``: ADE20K's 150 class names, in order).

    Returns:
        dict: the number of images written per split.
    """
    if len(ade_names) != 150:
        raise ValueError(f'expected ADE20K\'s 150 class names, got {len(ade_names)}')
    prepare_folder(out)
    counts = {}
    for split, folder, prefix, count in (('train', 'training', 'ADE_train', num_train),
                                         ('val', 'validation', 'ADE_val', num_val)):
        images, labels = read_split(fashion_root, SPLITS[split])
        rng = np.random.default_rng([seed, split == 'val'])
        for kind in ('images', 'annotations'):
            os.makedirs(osp.join(out, kind, folder), exist_ok=True)
        for index in range(1, count + 1):
            picture, objects = compose(rng, images, labels, size, max_objects)
            label_map = np.full((size, size), ADE20K_BACKGROUND, np.uint8)
            for label, mask in objects:
                label_map[mask] = label + ADE20K_BACKGROUND + 1
            name = f'{prefix}_{index:08d}'
            cv2.imwrite(osp.join(out, 'images', folder, name + '.jpg'), picture[..., ::-1],
                        [cv2.IMWRITE_JPEG_QUALITY, 95])
            cv2.imwrite(osp.join(out, 'annotations', folder, name + '.png'), label_map)
        counts[split] = count
    write_marker(out, 'ADE20K', counts, seed, ade_names[1:11])
    return counts


def make_imagenet(out: str, fashion_root: str, imagenet_names: Sequence[str], num_train: int = 200,
                  num_val: int = 50, size: int = 64, seed: int = 0) -> Dict[str, int]:
    """Write ``out/{train,val}/class_<i>/*.JPEG`` and ``out/meta/{train,val}.txt`` (ImageNet's layout
    with annotation files), one upscaled, tinted Fashion-MNIST item per picture, labelled with its
    class (0-9 of ImageNet's 1000). Arguments as :func:`make_coco` (``imagenet_names``: ImageNet's
    1000 class names, in order; ``size`` defaults to 64: the configs' crops upsample).

    Returns:
        dict: the number of images written per split.
    """
    if len(imagenet_names) != 1000:
        raise ValueError(f'expected ImageNet\'s 1000 class names, got {len(imagenet_names)}')
    prepare_folder(out)
    os.makedirs(osp.join(out, 'meta'), exist_ok=True)
    counts = {}
    for split, count in (('train', num_train), ('val', num_val)):
        images, labels = read_split(fashion_root, SPLITS[split])
        rng = np.random.default_rng([seed, split == 'val'])
        lines = []
        for index in range(count):
            objects = []
            while not objects:  # an item too faint to see is drawn again
                picture, objects = compose(rng, images, labels, size, max_objects=1)
            label = objects[0][0]
            name = osp.join(f'class_{label:03d}', f'{split}_{index:06d}.JPEG')
            os.makedirs(osp.join(out, split, f'class_{label:03d}'), exist_ok=True)
            cv2.imwrite(osp.join(out, split, name), picture[..., ::-1], [cv2.IMWRITE_JPEG_QUALITY, 95])
            lines.append(f'{name} {label}')
        with open(osp.join(out, 'meta', f'{split}.txt'), 'w') as f:
            f.write('\n'.join(lines) + '\n')
        counts[split] = count
    write_marker(out, 'ImageNet', counts, seed, imagenet_names[:10])
    return counts

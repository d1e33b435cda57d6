# ImageNet-1k as the EBV authors train and evaluate it (their EBV_ImageNet.py and presets.py,
# aassxun/Equiangular-Basis-Vectors): RandomResizedCrop 224 (bilinear), horizontal flip,
# TrivialAugmentWide, RandomErasing 0.1; 128 images per GPU (1024 on 8 GPUs).
# Validation is their protocol (resize the short side to 256, centre crop 256, bilinear), run after
# every epoch as theirs; the test loader is the usual one (256, centre crop 224) for comparisons
# with other ImageNet numbers. To test with their protocol:
#   --cfg-options test_dataloader.dataset.pipeline.2.crop_size=256
dataset_type = 'ImageNet'
data_preprocessor = dict(
    num_classes=1000,
    mean=[123.675, 116.28, 103.53],  # ImageNet's RGB mean and std, as their Normalize
    std=[58.395, 57.12, 57.375],
    to_rgb=True)
bgr_mean = data_preprocessor['mean'][::-1]

train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bilinear'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    # torchvision's TrivialAugmentWide on the PIL image, as in their preset
    dict(type='NumpyToPIL', to_rgb=True),
    dict(type='torchvision/TrivialAugmentWide'),
    dict(type='PILToNumpy', to_bgr=True),
    # their torchvision RandomErasing(p=0.1) after normalisation fills with 0, i.e. the mean colour;
    # here it runs before normalisation, so it fills with the mean colour itself
    dict(type='RandomErasing', erase_prob=0.1, mode='const', min_area_ratio=0.02, max_area_ratio=1 / 3,
         aspect_range=(3 / 10, 10 / 3), fill_color=bgr_mean),
    dict(type='PackInputs'),
]
paper_test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=256),
    dict(type='PackInputs'),
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='ResizeEdge', scale=256, edge='short', backend='pillow', interpolation='bilinear'),
    dict(type='CenterCrop', crop_size=224),
    dict(type='PackInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(type=dataset_type, data_root='data/imagenet', split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True))
val_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(type=dataset_type, data_root='data/imagenet', split='val', pipeline=paper_test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
val_evaluator = dict(type='Accuracy', topk=(1, 5))
test_dataloader = dict(
    batch_size=128,
    num_workers=8,
    dataset=dict(type=dataset_type, data_root='data/imagenet', split='val', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False))
test_evaluator = val_evaluator

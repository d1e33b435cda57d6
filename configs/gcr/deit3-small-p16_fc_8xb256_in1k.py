# The baseline twin of deit3-small-p16_gcr_8xb256_in1k.py, the GCR authors' DeiT3-S recipe
# (configs/deit3/deit3-small-p16_8xb256_in1k-224px.py, innerlee/gcr): Lamb lr 4e-3 for a batch of
# 2048, weight decay 0.05 (none on norms, biases, tokens and position embeddings), gradient-norm
# cap 1.0, 5 warm-up epochs from 1e-6 x lr, cosine over 800 epochs, Mixup 0.8 / CutMix 1.0,
# repeated augmentation, binary cross-entropy, test at 224 (resize 224, centre crop 224, bicubic).
# Their data pipeline is DeiT III's 3-Augment (one of grayscale, solarisation, Gaussian blur per
# image) with colour jitter 0.3, which needs an mmpretrain change (their README: PR #1312) that
# mmpretrain 1.2.0 does not have; here it is composed from torchvision's transforms, with a blur
# kernel of 23 pixels and sigma in [0.1, 2.0] (DeiT III's radius range), which may differ from
# theirs in detail.
_base_ = ['mmpretrain::_base_/models/deit3/deit3-small-p16-224.py',
          'mmpretrain::_base_/datasets/imagenet_bs64_deit3_224.py', 'mmpretrain::_base_/default_runtime.py']

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
model = dict(head=dict(loss=dict(_delete_=True, type='CrossEntropyLoss', use_sigmoid=True)))
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='RandomResizedCrop', scale=224, backend='pillow', interpolation='bicubic'),
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='NumpyToPIL', to_rgb=True),
    dict(type='RandomChoice', transforms=[
        [dict(type='torchvision/RandomGrayscale', p=1.0)],
        [dict(type='torchvision/RandomSolarize', threshold=128, p=1.0)],
        [dict(type='torchvision/GaussianBlur', kernel_size=23, sigma=(0.1, 2.0))],
    ]),
    dict(type='torchvision/ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type='PILToNumpy', to_bgr=True),
    dict(type='PackInputs'),
]
train_dataloader = dict(
    batch_size=256,  # 8 GPUs x 256, as theirs
    dataset=dict(pipeline=train_pipeline),
    sampler=dict(_delete_=True, type='RepeatAugSampler', shuffle=True))
val_dataloader = dict(batch_size=256)
test_dataloader = dict(batch_size=256)
optim_wrapper = dict(
    optimizer=dict(type='Lamb', lr=4e-3, weight_decay=0.05, eps=1e-8, max_grad_norm=1.0),
    paramwise_cfg=dict(
        norm_decay_mult=0.0, bias_decay_mult=0.0, flat_decay_mult=0.0,
        custom_keys={'.cls_token': dict(decay_mult=0.0), '.pos_embed': dict(decay_mult=0.0)}))
param_scheduler = [
    dict(type='LinearLR', start_factor=1e-6, by_epoch=True, begin=0, end=5, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=795, by_epoch=True, begin=5, end=800, eta_min=0.0),
]
train_cfg = dict(by_epoch=True, max_epochs=800, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=2048)

# The FC twin of swin-tiny_ebv_8xb128-105e_in1k.py: Swin-T with a linear classifier, trained with
# the EBV authors' FC-baseline settings for Swin-T (base(fc)_ImageNet.py, aassxun/Equiangular-Basis-
# Vectors: AdamW lr 1e-3, weight decay 2e-5, batch 1024, 5 + 100 epochs, the augmentations of their
# ResNet recipe). Their EBV Swin-T run's own learning rate and weight decay are not in their
# material (only its log name: AdamW, 105 epochs); this config assumes the baseline's.
_base_ = [
    'mmpretrain::_base_/models/swin_transformer/tiny_224.py', '../_base_/datasets/imagenet_bs128_ebv-recipe.py',
    '../_base_/schedules/imagenet_bs1024_ebv-recipe-105e.py', 'mmpretrain::_base_/default_runtime.py'
]

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
model = dict(
    backbone=dict(drop_path_rate=0.1),  # timm's default for swin_tiny_patch4_window7_224, which they used
    head=dict(loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.2), dict(type='CutMix', alpha=1.0)]))
optim_wrapper = dict(
    _delete_=True, type='OptimWrapper', optimizer=dict(type='AdamW', lr=1e-3, weight_decay=2e-5))

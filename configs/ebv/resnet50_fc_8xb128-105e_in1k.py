# The FC twin of resnet50_ebv_8xb128-105e_in1k.py: the EBV authors' ImageNet recipe with a linear
# classifier (their base(fc)_ImageNet.py trains the same way with timm's linear head).
_base_ = [
    'mmpretrain::_base_/models/resnet50.py', '../_base_/datasets/imagenet_bs128_ebv-recipe.py',
    '../_base_/schedules/imagenet_bs1024_ebv-recipe-105e.py', 'mmpretrain::_base_/default_runtime.py'
]

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
model = dict(
    # their LabelSmoothing 0.1 cross-entropy on the mixed targets
    head=dict(loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original')),
    # one of Mixup (alpha 0.2) or CutMix (alpha 1.0) per batch, chosen with equal probability
    train_cfg=dict(augments=[dict(type='Mixup', alpha=0.2), dict(type='CutMix', alpha=1.0)]))

# The FC twin of resnet50_ebv_8xb32_in1k.py: mmpretrain's ResNet-50 ImageNet recipe unchanged
# (linear head, SGD lr 0.1 for batch 256, 100 epochs, steps at 30/60/90), plus mmebv's hooks.
_base_ = 'mmpretrain::resnet/resnet50_8xb32_in1k.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)

# The baseline twin of resnetv1d50_gcr_8xb32_in1k.py: mmpretrain's ResNet50-D ImageNet recipe
# unchanged (linear head, SGD lr 0.1 for batch 256, 100 epochs), plus mmebv's hooks.
_base_ = 'mmpretrain::resnet/resnetv1d50_8xb32_in1k.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)

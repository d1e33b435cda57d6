# The FC-head twin of upernet_r50-ebv-pre_ebv_4xb4-160k_ade20k-512x512.py: same EBV-pretrained
# backbone, mmseg's 1x1-conv classifiers.
_base_ = ['mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py', '../_base_/models/ebv_pretrained_resnet50.py']

custom_imports = dict(imports=['mmebv.engine'], allow_failed_imports=False)
model = dict(pretrained=None, backbone=dict(type='ResNet', init_cfg=_base_.ebv_pretrained_init))

# UperNet R50 with EBV heads on a backbone pretrained by mmebv with the EBV head. mmseg's default
# ResNetV1c (deep stem) does not match a plain ResNet-50 checkpoint: use mmseg's plain ResNet.
_base_ = ['upernet_r50_ebv_4xb4-160k_ade20k-512x512.py', '../_base_/models/ebv_pretrained_resnet50.py']

model = dict(pretrained=None, backbone=dict(type='ResNet', init_cfg=_base_.ebv_pretrained_init))

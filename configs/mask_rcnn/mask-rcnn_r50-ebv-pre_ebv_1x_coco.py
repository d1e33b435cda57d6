# Mask R-CNN R50-FPN 1x with EBV heads on a backbone pretrained by mmebv with the EBV head.
# mmpretrain's and mmdet's ResNet share their keys, so only the 'backbone.' prefix is stripped.
_base_ = ['../mask-rcnn_r50_ebv_coco.py', '../_base_/models/ebv_pretrained_resnet50.py']

model = dict(backbone=dict(init_cfg=_base_.ebv_pretrained_init))

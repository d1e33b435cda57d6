# The FC-head twin of mask-rcnn_r50-ebv-pre_ebv_1x_coco.py: same EBV-pretrained backbone,
# mmdet's linear box classifier and 1x1-conv mask classifier.
_base_ = ['mask-rcnn_r50_fc_coco.py', '../_base_/models/ebv_pretrained_resnet50.py']

model = dict(backbone=dict(init_cfg=_base_.ebv_pretrained_init))

# Mask R-CNN Swin-T-FPN 1x with EBV box and mask classifiers; the backbone starts from mmdet's
# ImageNet Swin-T checkpoint, as upstream.
_base_ = ['mmdet::swin/mask-rcnn_swin-t-p4-w7_fpn_1x_coco.py', '../_base_/models/ebv_mask_rcnn_heads.py']

model = dict(roi_head=_base_.ebv_roi_head)

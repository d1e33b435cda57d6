# Mask R-CNN R50-FPN, mmdet's multi-scale 3x recipe, with EBV box and mask classifiers.
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_ms-poly-3x_coco.py', '../_base_/models/ebv_mask_rcnn_heads.py']

model = dict(roi_head=_base_.ebv_roi_head)

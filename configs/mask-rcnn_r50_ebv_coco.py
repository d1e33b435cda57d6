# Mask R-CNN R50-FPN 1x on COCO 2017 with EBV classifiers in the box and mask heads as the EBV
# authors configure them (see _base_/models/ebv_mask_rcnn_heads.py); everything else is mmdet's
# recipe. Semi-synthetic data to run it on a CPU: tools/misc/make_semisynthetic_data.py (see README).
_base_ = ['mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py', '_base_/models/ebv_mask_rcnn_heads.py']

model = dict(roi_head=_base_.ebv_roi_head)

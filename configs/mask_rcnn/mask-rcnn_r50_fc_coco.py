# The FC twin of ../mask-rcnn_r50_ebv_coco.py: mmdet's Mask R-CNN R50-FPN 1x unchanged, with
# mmebv's engine loaded so both twins run under the same tools.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmebv.engine'], allow_failed_imports=False)

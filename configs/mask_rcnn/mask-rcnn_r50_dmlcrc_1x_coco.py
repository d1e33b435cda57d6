# Mask R-CNN R50-FPN 1x on COCO 2017 with a DML-CRC box classifier (4 atoms per class and for the
# background, a full-rank metric on the 1024-d RoI feature, ridge 0.1, scale 16: the classification
# config's values, not tuned for detection). mmdet's box head forms its loss from the logits alone, so
# the linear cross-entropy term is off (ce_weight=0). The mask head keeps its conv: DML-CRC's logits
# are never positive, so the mask head's sigmoid could not use them.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmebv.det', 'mmebv.engine'], allow_failed_imports=False)
model = dict(
    roi_head=dict(
        bbox_head=dict(
            cls_predictor_cfg=dict(
                type='GeometricLinear',
                classifier=dict(type='DMLCRC', atoms_per_class=4, ridge=0.1, scale=16.0, ce_weight=0.0)))))

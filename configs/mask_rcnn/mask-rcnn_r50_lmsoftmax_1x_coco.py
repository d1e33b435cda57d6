# Mask R-CNN R50-FPN 1x on COCO 2017 with a largest-margin box classifier: normalised class weights,
# logits 64 cos θ, trained with LM-Softmax (scale 64, the classification config's; not tuned for
# detection). mmdet's box head forms its loss from the logits alone, so the sample-margin and
# zero-centroid regularisers are off. Everything else is mmdet's recipe.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmebv.det', 'mmebv.engine'], allow_failed_imports=False)
scale = 64.0  # s, shared by the classifier and its loss
model = dict(
    roi_head=dict(
        bbox_head=dict(
            cls_predictor_cfg=dict(type='GeometricLinear', classifier=dict(type='LargestMargin', scale=scale)),
            loss_cls=dict(_delete_=True, type='LMSoftmaxDetLoss', scale=scale, loss_weight=1.0))))

# Mask R-CNN Swin-T-FPN 1x with EBV heads on a Swin-T pretrained with the EBV head (the EBV authors'
# Swin-T converted by tools/model_converters/ebv_official_to_mmebv.py, or one trained by mmebv).
# Its keys are already mmdet's: convert_weights=False (upstream's True converts the keys of the
# original Swin release).
_base_ = ['mask-rcnn_swin-t-p4-w7_ebv_1x_coco.py', '../_base_/models/ebv_pretrained_swin_tiny.py']

model = dict(backbone=dict(convert_weights=False, init_cfg=_base_.ebv_pretrained_swin_init))

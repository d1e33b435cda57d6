# The EBV authors' Swin-T (timm swin_tiny_patch4_window7_224 with an EBV head), converted by
# tools/model_converters/ebv_official_to_mmebv.py --arch swin-t, or a Swin-T trained by
# configs/ebv/swin-tiny_ebv_8xb128-105e_in1k.py and stripped by publish_model.py. Point
# `ebv_pretrained_swin` (or model.backbone.init_cfg.checkpoint) at your own file. The default is where
# the converter command of docs/en/advanced_guides/authors_files.md writes the authors' Swin-T.
ebv_pretrained_swin = 'checkpoints/ebv_official_swin-t.pth'
# mmdet's and mmseg's SwinTransformer load a Pretrained checkpoint themselves, keeping the
# 'backbone.' keys; the keys are mmpretrain's, which theirs share (no conversion).
ebv_pretrained_swin_init = dict(type='Pretrained', checkpoint=ebv_pretrained_swin)

# UperNet Swin-T on ADE20K (160k iterations) with EBV heads on a Swin-T pretrained with the EBV head
# (the EBV authors' Swin-T converted by tools/model_converters/ebv_official_to_mmebv.py, or one
# trained by mmebv).
_base_ = ['upernet_swin-t-p4-w7_ebv_8xb2-160k_ade20k-512x512.py', '../_base_/models/ebv_pretrained_swin_tiny.py']

model = dict(backbone=dict(init_cfg=_base_.ebv_pretrained_swin_init))

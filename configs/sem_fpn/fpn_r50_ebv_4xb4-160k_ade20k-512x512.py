# Semantic FPN R50 on ADE20K (160k iterations; upstream has no 80k ADE20K recipe) with an EBV
# classifier in its head.
_base_ = ['mmseg::sem_fpn/fpn_r50_4xb4-160k_ade20k-512x512.py', '../_base_/models/ebv_seg_heads.py']

model = dict(decode_head=_base_.ebv_fpn_head)

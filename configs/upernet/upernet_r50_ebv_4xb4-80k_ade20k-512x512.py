# UperNet R50 on ADE20K (80k iterations), with EBV classifiers in the decode and auxiliary heads.
_base_ = ['mmseg::upernet/upernet_r50_4xb4-80k_ade20k-512x512.py', '../_base_/models/ebv_seg_heads.py']

model = dict(decode_head=_base_.ebv_uper_head, auxiliary_head=_base_.ebv_fcn_head)

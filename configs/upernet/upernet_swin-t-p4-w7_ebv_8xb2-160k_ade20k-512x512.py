# UperNet Swin-T on ADE20K (160k iterations) with EBV classifiers in the decode and auxiliary
# heads; the backbone starts from mmseg's ImageNet Swin-T checkpoint, as upstream.
_base_ = ['mmseg::swin/swin-tiny-patch4-window7-in1k-pre_upernet_8xb2-160k_ade20k-512x512.py',
          '../_base_/models/ebv_seg_heads.py']

model = dict(decode_head=_base_.ebv_uper_head, auxiliary_head=_base_.ebv_fcn_head)

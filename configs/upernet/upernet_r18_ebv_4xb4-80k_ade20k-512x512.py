# UperNet R18 on ADE20K (80k iterations), with EBV classifiers in the decode and auxiliary heads.
_base_ = ['mmseg::upernet/upernet_r18_4xb4-80k_ade20k-512x512.py', '../_base_/models/ebv_seg_heads.py']

# mmseg's R18 UperNet configs set no data_preprocessor.size (its R50 ones do): without it the
# preprocessor pads nothing, and mmseg's head asserts at the first iteration. As mmseg's 512x512 configs.
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor, decode_head=_base_.ebv_uper_head,
             auxiliary_head=_base_.ebv_fcn_head)

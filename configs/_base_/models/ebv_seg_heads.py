# The part of UperNet / semantic FPN that EBV changes: the last 1x1 conv of each decode head becomes
# a per-pixel cosine classifier against 150 fixed class vectors (d = max(N, 128) = 150, exactly
# orthonormal), in the decode and in the auxiliary FCN head alike (same seed and size, so the same
# basis), as in the EBV authors' ADE20K configs (ADE20k_segmentation/configs/upernet/ebv/,
# aassxun/Equiangular-Basis-Vectors: d = N = 150, temperature 0.07, both heads).
# A child config merges these with `model = dict(decode_head=_base_.ebv_uper_head, ...)`.
custom_imports = dict(imports=['mmebv.seg', 'mmebv.engine'], allow_failed_imports=False)
# the EBV seed defaults to 0
ebv_classifier = dict(type='Fixed', temperature=0.07, basis=dict(type='EBV'))
ebv_uper_head = dict(type='EBVUPerHead', classifier=ebv_classifier)
ebv_fcn_head = dict(type='EBVFCNHead', classifier=ebv_classifier)
ebv_fpn_head = dict(type='EBVFPNHead', classifier=ebv_classifier)

# The part of UperNet / semantic FPN that EBV changes: the last 1x1 conv of each decode head becomes
# a per-pixel cosine classifier against 150 fixed class vectors (d = max(N, 128) = 150, exactly
# orthonormal). The auxiliary FCN head uses the same basis (same seed and size) as the main head.
# A child config merges these with `model = dict(decode_head=_base_.ebv_uper_head, ...)`.
custom_imports = dict(imports=['mmebv.seg', 'mmebv.engine'], allow_failed_imports=False)
# temperature 0.07: the paper's; the EBV seed defaults to 0
ebv_classifier = dict(temperature=0.07, basis=dict(type='EBV'))
ebv_uper_head = dict(type='EBVUPerHead', classifier=ebv_classifier)
ebv_fcn_head = dict(type='EBVFCNHead', classifier=ebv_classifier)
ebv_fpn_head = dict(type='EBVFPNHead', classifier=ebv_classifier)

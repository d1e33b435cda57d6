# The part of UperNet / semantic FPN that EBV changes: the last 1x1 conv of each decode head becomes
# a per-pixel cosine classifier against 150 fixed class vectors (d = max(N, 128) = 150, exactly
# orthonormal). The auxiliary FCN head uses the same basis (same seed and size) as the main head.
# A child config merges these with `model = dict(decode_head=_base_.ebv_uper_head, ...)`.
custom_imports = dict(imports=['mmebv.models.seg', 'mmebv.engine'], allow_failed_imports=False)
ebv_cfg = dict(temperature=0.07, seed=0)  # 0.07: the paper's temperature
ebv_uper_head = dict(type='EBVUPerHead', ebv_cfg=ebv_cfg)
ebv_fcn_head = dict(type='EBVFCNHead', ebv_cfg=ebv_cfg)
ebv_fpn_head = dict(type='EBVFPNHead', ebv_cfg=ebv_cfg)

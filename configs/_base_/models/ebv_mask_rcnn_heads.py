# The part of Mask R-CNN that EBV changes: the box classifier (80 classes + background = 81 fixed
# vectors, filled in by the bbox head) and the mask classifier (80 per-pixel class vectors).
# A child config merges it with `model = dict(roi_head=_base_.ebv_roi_head)`.
custom_imports = dict(imports=['mmebv.det', 'mmebv.engine'], allow_failed_imports=False)
ebv_roi_head = dict(
    bbox_head=dict(
        # d defaults to max(N, 128) = 128 for 81 vectors: exactly orthonormal
        cls_predictor_cfg=dict(type='EBVLinear', temperature=0.07, basis=dict(type='EBV'))),
    mask_head=dict(type='EBVFCNMaskHead', classifier=dict(temperature=0.07, basis=dict(type='EBV'))))

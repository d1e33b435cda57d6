# The part of Mask R-CNN that EBV changes, as in the EBV authors' COCO configs
# (coco_detection/configs/mask_rcnn/ebv/, aassxun/Equiangular-Basis-Vectors): the box classifier's
# 81 fixed vectors (80 classes and, last, the background) in d = N = 81 dims, temperature 0.07, and
# the mask classifier on the first 80 of the same 81 vectors (same seed and sizes, so the same basis).
# A child config merges it with `model = dict(roi_head=_base_.ebv_roi_head)`.
custom_imports = dict(imports=['mmebv.det', 'mmebv.engine'], allow_failed_imports=False)
ebv_roi_head = dict(
    bbox_head=dict(
        cls_predictor_cfg=dict(
            type='EBVLinear', classifier=dict(type='Fixed', embed_dim=81, temperature=0.07, basis=dict(type='EBV')))),
    mask_head=dict(
        type='EBVFCNMaskHead',
        classifier=dict(type='Fixed', embed_dim=81, temperature=0.07, basis=dict(type='EBV', num_vectors=81))))

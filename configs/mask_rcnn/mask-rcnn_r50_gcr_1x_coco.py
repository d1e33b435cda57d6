# Mask R-CNN R50-FPN 1x on COCO 2017 with a GCR box classifier (each of the 80 classes and the
# background a k = 8 dim subspace of the 1024-d RoI feature, gamma = 25, the GCR paper's ImageNet
# values; not tuned for detection). The mask head keeps its conv: GCR's logits are never negative,
# so the mask head's sigmoid could not use them. Everything else is mmdet's recipe; the subspaces
# get Riemannian steps (RiemannianSGD, mmdet's lr and momentum, no weight decay on them).
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

custom_imports = dict(imports=['mmebv.det', 'mmebv.engine'], allow_failed_imports=False)
model = dict(
    roi_head=dict(
        bbox_head=dict(
            cls_predictor_cfg=dict(type='GeometricLinear',
                                   classifier=dict(type='Grassmann', subspace_dim=8, scale=25.0)))))
optim_wrapper = dict(optimizer=dict(type='RiemannianSGD'))

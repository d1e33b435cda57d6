# ResNeXt-50 (32x4d) on ImageNet-1k with GCR (k = 8, gamma 25, Riemannian SGD), on the recipe of
# its baseline twin (whose comment says why that recipe: the GCR authors' material has none for
# ResNeXt-50).
_base_ = './resnext50-32x4d_fc_8xb32-coslr-100e_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=1000,
        in_channels=2048,  # ResNeXt-50's last stage after global average pooling
        classifier=dict(
            type='Grassmann',
            subspace_dim=8,
            scale=25.0),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
optim_wrapper = dict(optimizer=dict(type='RiemannianSGD', reorthonormalize_every=5))

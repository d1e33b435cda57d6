# ResNet50-D on ImageNet-1k with GCR, as in the GCR paper: 1000 class subspaces of dimension 8 in
# the 2048-d feature space, gamma 25; Riemannian SGD for the subspaces, the recipe's SGD otherwise.
_base_ = './resnetv1d50_fc_8xb32_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GrassmannClsHead',
        num_classes=1000,
        in_channels=2048,  # ResNet50-D's last stage after global average pooling
        subspace_dim=8,
        scale=25.0,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
optim_wrapper = dict(optimizer=dict(type='RiemannianSGD'))

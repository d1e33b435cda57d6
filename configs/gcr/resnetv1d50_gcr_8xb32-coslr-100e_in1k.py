# ResNet50-D on ImageNet-1k with GCR, as the GCR authors train it (configs/resnet/
# resnet50d_8xb32_coslr_in1k_gcr8.py, innerlee/gcr): 1000 class subspaces of dimension k = 8 in
# the 2048-d feature space, gamma 25; the subspaces step with Riemannian SGD at the same cosine
# learning rate, everything else with the recipe's SGD (see the baseline twin).
_base_ = './resnetv1d50_fc_8xb32-coslr-100e_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=1000,
        in_channels=2048,  # ResNet50-D's last stage after global average pooling
        classifier=dict(
            type='Grassmann',
            subspace_dim=8,  # theirs (the _gcr8 configs)
            scale=25.0),  # gamma, theirs
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
# their RSGD re-orthonormalises every 5 steps
optim_wrapper = dict(optimizer=dict(type='RiemannianSGD', reorthonormalize_every=5))

# DeiT3-S on ImageNet-1k with GCR (k = 8, gamma 25), as the GCR authors train it
# (configs/deit3/deit3-small-p16_8xb256_in1k-224px_gcr8.py, innerlee/gcr): softmax cross-entropy
# instead of the baseline's binary one, and their optimizer steps the subspaces with Riemannian
# momentum SGD (momentum 0.9, re-orthonormalised every step) at the scheduled Lamb rate times
# 0.3 / lr (a peak of 0.3), everything else with the recipe's Lamb (see the baseline twin).
_base_ = './deit3-small-p16_fc_8xb256_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=1000,
        in_channels=384,  # DeiT3-S's class token
        classifier=dict(
            type='Grassmann',
            subspace_dim=8,
            scale=25.0),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))
optim_wrapper = dict(
    optimizer=dict(
        type='RiemannianLamb',
        grassmann_lr_factor=75.0,  # 0.3 / lr with lr = 4e-3
        grassmann_momentum=0.9,
        reorthonormalize_every=1))

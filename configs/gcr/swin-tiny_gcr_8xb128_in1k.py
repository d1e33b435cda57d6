# Swin-T on ImageNet-1k with GCR (k = 8, gamma 25), as the GCR authors train it
# (configs/swin_transformer/swin-tiny_8xb128_in1k_gcr8.py, innerlee/gcr): their optimizer steps the
# subspaces with Riemannian momentum SGD (momentum 0.9, re-orthonormalised every step) at the
# scheduled AdamW rate times 0.1 / lr (a peak of 0.1), everything else with the recipe's AdamW.
_base_ = './swin-tiny_fc_8xb128_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=1000,
        in_channels=768,  # Swin-T's last stage after global average pooling
        classifier=dict(
            type='Grassmann',
            subspace_dim=8,
            scale=25.0),
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),  # kept, as theirs
        topk=(1, 5)))
optim_wrapper = dict(
    optimizer=dict(
        type='RiemannianAdamW',
        grassmann_lr_factor=100.0,  # 0.1 / lr with lr = 1e-3
        grassmann_momentum=0.9,
        reorthonormalize_every=1))

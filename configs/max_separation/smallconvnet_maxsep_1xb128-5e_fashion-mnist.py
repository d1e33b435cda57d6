# The demo twin with maximum class separation (Kasarla et al., NeurIPS 2022): a learned linear
# layer gives N - 1 = 9 values, whose dot products with the 10 columns of the closed-form matrix P
# (pairwise cosine exactly -1/9) are the logits, unnormalised, trained with cross-entropy.
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            type='Fixed',
            basis=dict(type='MaxSeparation'),  # embed_dim defaults to N - 1
            normalize=False,
            temperature=10.0),  # logits = z P / 10: the authors' radius 0.1 for ResNets
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        init_cfg=None))  # torch's default init of the linear layer, as the authors' network

# The demo: EBV classifier on real Fashion-MNIST, small CNN, 5 epochs on 2 CPU cores.
_base_ = './smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='EBVClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            embed_dim=128,  # d > N: with d = N = 10 this CNN trained unstably (shared/FINDINGS.md)
            temperature=0.07,  # the EBV paper's
            basis=dict(type='EBV', seed=0)),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

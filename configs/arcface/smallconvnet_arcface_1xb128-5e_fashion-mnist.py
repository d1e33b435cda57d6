# The demo twin with mmpretrain's ArcFace head (additive angular margin 0.5, scale 64), the
# margin-based baseline of the accuracy benchmark.
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='ArcFaceClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        scale=64.0,
        margins=0.5,
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# A small CNN with a linear (FC) head, for 28x28 grey images and 10 classes.
model = dict(
    type='ImageClassifier',
    backbone=dict(type='SmallConvNet', in_channels=1, widths=(32, 64, 128), convs_per_stage=2),
    neck=None,
    head=dict(
        type='LinearClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

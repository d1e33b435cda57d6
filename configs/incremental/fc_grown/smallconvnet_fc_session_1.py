# The usual baseline: an FC layer (Linear) trained with cross-entropy; each session appends new
# trainable weight rows and biases to the old ones (mmpretrain's LinearClsHead cannot grow).
# Session 1 of 4: classes 0-3, from scratch.
_base_ = '../_base_/smallconvnet_fashion-mnist_4-2-2-2.py'

work_dir = 'work_dirs/incremental/fc_grown/session_1'
model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=4,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(type='Linear'),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
val_evaluator = dict(out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

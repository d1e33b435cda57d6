# The trainable baseline: a normalised (cosine) FC layer, LargestMargin, trained with LM-Softmax; each
# session appends new trainable weight rows to the old ones (mmpretrain's LinearClsHead cannot grow).
# Session 1 of 4: classes 0-3, from scratch.
_base_ = '../_base_/smallconvnet_fashion-mnist_4-2-2-2.py'

work_dir = 'work_dirs/incremental/largest_margin_grown/session_1'
model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=4,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(type='LargestMargin', scale=64.0, sample_margin_weight=1.0, zero_centroid_weight=0.0),
        loss=dict(type='LMSoftmaxLoss', scale=64.0, loss_weight=1.0)))  # s, the classifier's
val_evaluator = dict(out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

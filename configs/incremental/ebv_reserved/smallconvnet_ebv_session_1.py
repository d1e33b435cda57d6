# EBV reserved up front: 10 vectors built once (num_vectors=10), session k uses the first 4 + 2(k-1).
# Session 1 of 4: classes 0-3, from scratch.
_base_ = '../_base_/smallconvnet_fashion-mnist_4-2-2-2.py'

work_dir = 'work_dirs/incremental/ebv_reserved/session_1'
model = dict(
    head=dict(
        _delete_=True,
        type='EBVClsHead',
        num_classes=4,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(embed_dim=128, temperature=0.07, basis=dict(type='EBV', seed=0, num_vectors=10)),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
val_evaluator = dict(out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

# Simplex ETF reserved up front (as NC-FSCIL, Yang et al., ICLR 2023): the 10-class ETF built once
# (num_vectors=10), session k uses its first 4 + 2(k-1) vectors; dot-regression loss.
# Session 1 of 4: classes 0-3, from scratch.
_base_ = '../_base_/smallconvnet_fashion-mnist_4-2-2-2.py'

work_dir = 'work_dirs/incremental/etf_reserved/session_1'
model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=4,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            type='Fixed',
            basis=dict(type='SimplexETF', seed=0, num_vectors=10),
            embed_dim=128,
            with_projection=True,
            temperature=1.0),  # dot regression acts on the cosines themselves
        loss=dict(type='DotRegressionLoss', loss_weight=1.0)))
val_evaluator = dict(out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

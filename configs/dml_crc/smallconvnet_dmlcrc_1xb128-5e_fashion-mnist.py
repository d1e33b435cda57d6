# The demo twin with DML-CRC: collaborative-representation residuals under a learned Mahalanobis
# metric, trained with cross-entropy on the residuals plus a linear cross-entropy term.
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            type='DMLCRC',
            metric_dim=128,  # a full-rank metric L (r = d)
            atoms_per_class=4,
            ridge=0.1,
            scale=16.0,
            ce_weight=1.0),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

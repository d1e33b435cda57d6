# The demo twin with a fixed simplex ETF classifier (Yang et al., NeurIPS 2022): 10 class vectors
# with pairwise cosine exactly -1/9, trained with their dot-regression loss on the cosines.
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            type='Fixed',
            basis=dict(type='SimplexETF', seed=0),
            embed_dim=128,  # the construction needs d >= N; the same d as the EBV twin
            # a learnable linear projection as in the EBV twin (the authors put a BatchNorm there)
            with_projection=True,
            temperature=1.0),  # dot regression acts on the cosines themselves
        loss=dict(type='DotRegressionLoss', loss_weight=1.0)))

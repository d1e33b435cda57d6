# The demo twin with a Grassmann class representation (GCR): each class an 8-dim subspace of the
# 128-d feature space, logits 25 * ||S_iᵀ x̂||, bases trained by Riemannian SGD.
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            type='Grassmann',
            subspace_dim=8,  # k = 8, the GCR paper's default
            scale=25.0),  # gamma = 25, the GCR paper's
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
# same SGD settings as the twin; the subspaces get geodesic steps and no weight decay
optim_wrapper = dict(optimizer=dict(type='RiemannianSGD'))

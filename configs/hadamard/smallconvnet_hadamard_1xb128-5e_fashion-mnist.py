# The demo twin with a fixed Hadamard classifier (Hoffer et al., ICLR 2018): the first 10 rows of
# the 128 x 128 Sylvester-Hadamard matrix, on the L2-normalised feature with no projection, a
# learned scale and a learned bias, as in the authors' HadamardProj.
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            type='Fixed',
            basis=dict(type='Hadamard'),
            embed_dim=128,  # = in_channels, a power of 2: the feature itself is classified
            with_projection=False,
            learnable_scale=True,
            bias=True,
            # the scale starts at 1 / temperature = sqrt(d / N) = 3.58: HadamardProj's initial 1/sqrt(N)
            # on +-1 entries, expressed for unit class vectors
            temperature=0.28),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))

# The demo twin trained towards the largest margins: normalised cosine classifier, LM-Softmax
# (scale 64) plus the sample-margin regulariser.
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=10,
        in_channels=128,  # = backbone widths[-1]
        classifier=dict(
            type='LargestMargin',
            scale=64.0,  # s = 64, the layer's default (the value the paper used is not checked here)
            sample_margin_weight=1.0,
            zero_centroid_weight=0.0),  # balanced data: the zero-centroid term is for long tails
        loss=dict(type='LMSoftmaxLoss', scale=64.0, loss_weight=1.0)))  # s, the classifier's

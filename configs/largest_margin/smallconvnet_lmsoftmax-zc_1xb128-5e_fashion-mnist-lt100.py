# Long-tailed Fashion-MNIST (imbalance factor 100: 6,000 down to 60 training images per class;
# the test set stays balanced) with LM-Softmax, sample-margin and zero-centroid regularisation.
_base_ = './smallconvnet_lmsoftmax_1xb128-5e_fashion-mnist.py'

imbalance_factor = 100  # n_max / n_min
train_dataloader = dict(dataset=dict(imbalance_factor=imbalance_factor))
model = dict(head=dict(classifier=dict(zero_centroid_weight=1.0)))

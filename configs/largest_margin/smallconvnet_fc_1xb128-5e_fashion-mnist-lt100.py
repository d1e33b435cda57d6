# The FC twin on the same long-tailed Fashion-MNIST (imbalance factor 100).
_base_ = '../ebv/smallconvnet_fc_1xb128-5e_fashion-mnist.py'

train_dataloader = dict(dataset=dict(imbalance_factor=100))  # n_max / n_min

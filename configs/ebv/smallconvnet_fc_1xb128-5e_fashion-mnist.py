# The FC twin of smallconvnet_ebv_1xb128-5e_fashion-mnist.py: same backbone, data and schedule, a
# linear classifier instead of the EBV one.
_base_ = [
    '../_base_/models/small_convnet_fc.py', '../_base_/datasets/fashion_mnist_bs128.py',
    '../_base_/schedules/fashion_mnist_5e.py', '../_base_/fashion_mnist_runtime.py'
]

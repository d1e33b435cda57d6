# Class-incremental ImageNet-1k in the same style, B500-inc100: session 1 trains 500 classes, sessions
# 2-6 add 100 each; everything else as ImageNet-100 B50-inc10 (resnet18_imagenet100_b50-inc10.py). Run
#   python tools/misc/run_incremental.py configs/incremental/ebv_extend_imagenet1k --work-dir DIR [--gpus N]
_base_ = './resnet18_imagenet100_b50-inc10.py'

# PODNet's ImageNet-1k class order (options/data/imagenet1000_1order.yaml of arthurdouillard/
# incremental_learning.pytorch; mmebv/cls/datasets/class_orders.py): class i is ImageNet-1k label order[i].
class_order = 'podnet-imagenet1000'
model = dict(head=dict(num_classes=500, classifier=dict(embed_dim=1000)))  # d = N = 1000, the EBV authors'
train_dataloader = dict(dataset=dict(classes=500, class_order=class_order))  # classes 0..499
val_dataloader = dict(dataset=dict(classes=500, class_order=class_order))
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=500)
test_evaluator = val_evaluator
# PODNet's ImageNet-1k schedule (podnet_cnn_imagenet1000.yaml): as ImageNet-100's, weight decay 1e-4
optim_wrapper = dict(optimizer=dict(weight_decay=1e-4))

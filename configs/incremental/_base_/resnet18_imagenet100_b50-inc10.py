# Class-incremental ImageNet-100 in the common B50-inc10 setting (UCIR, PODNet, DER, PyCIL): session 1
# trains 50 classes, sessions 2-6 add 10 each, every one from the previous session's checkpoint
# (load_from, the head grown with grow_from_checkpoint=True) on its new classes plus an exemplar memory
# of the old ones, validated on the val images of every class seen so far (IncrementalAccuracy).
# This base holds the whole recipe (EBV extended per session, Shen et al., IJCV 2024); a session file
# sets what changes: its classes, num_classes, extend_from and paths. Run all six with
#   python tools/misc/run_incremental.py configs/incremental/ebv_extend_imagenet100 --work-dir DIR [--gpus N]
# Data: the full ImageNet-1k at data/imagenet as mmpretrain reads it (meta/{train,val}.txt, labels in
# sorted-wnid order); class_order below picks the 100 classes and their session order.
_base_ = ['mmpretrain::_base_/models/resnet18.py', 'mmpretrain::_base_/datasets/imagenet_bs32.py',
          '../../_base_/fashion_mnist_runtime.py']  # (mmebv's runtime: imports, checkpoints, seeds)

# ImageNet-100 and its class order are PODNet's (Douillard et al., ECCV 2020, arthurdouillard/
# incremental_learning.pytorch), also used by DER (Yan et al., CVPR 2021, their issue 12): ImageNet-1k
# labels 0-99 as its imagenet_split/val_100.txt lists them, in the order of its
# options/data/imagenet100_1order.yaml (the list and its sources: mmebv/cls/datasets/class_orders.py).
# Class i of the sessions is ImageNet-1k label order[i]. Not UCIR's subset, which PyCIL uses (a
# seed-1993 draw whose list could not be verified here): figures on that subset are not comparable.
class_order = 'podnet-imagenet100'
seed = 0  # training seed and exemplar choice (run_incremental.py --seed sets both)
exemplars_per_class = 20  # PODNet's fixed memory: 20 training images per old class (1,800 in session 6)
# PODNet's ImageNet-100 schedule (options/podnet/podnet_cnn_imagenet100.yaml): a batch of 64, SGD with
# lr 0.05 and momentum 0.9, weight decay 5e-4, cosine over 90 epochs per session. total_batch_size is
# over all processes: run_incremental.py --gpus N gives each train_dataloader.batch_size =
# total_batch_size // N, and --auto-scale-lr scales lr by the real total / auto_scale_lr.base_batch_size.
total_batch_size = 64
epochs = 90
# ResNet-18, the backbone of the ImageNet-100/1k benchmarks (PODNet's podnet_cnn_imagenet100.yaml and
# podnet_cnn_imagenet1000.yaml: convnet resnet18; DER's imagenet-100 config: resnet18 for B50); from
# scratch, as there (an ImageNet-pretrained backbone would have seen the later sessions' classes).
model = dict(
    head=dict(
        _delete_=True,
        type='EBVClsHead',
        num_classes=50,
        in_channels=512,  # ResNet-18's last stage after global average pooling
        classifier=dict(
            # d = N: the EBV authors' ImageNet-1k setting (d = N = 1000), here for the 100 classes
            # of the last session: every extension is an orthonormal completion
            embed_dim=100,
            temperature=0.07,  # the EBV authors'
            basis=dict(type='EBV', seed=0)),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0)))
train_dataloader = dict(
    batch_size=total_batch_size,  # for one process; see total_batch_size
    dataset=dict(
        _delete_=True,
        type='ClassIncrementalDataset',
        dataset=dict(type='ImageNet', data_root='data/imagenet', split='train', pipeline={{_base_.train_pipeline}}),
        classes=50,  # classes 0..49 (later sessions: a list of their new classes)
        exemplar_classes=[],
        exemplars_per_class=exemplars_per_class,
        class_order=class_order,
        seed=seed))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassIncrementalDataset',
        dataset=dict(type='ImageNet', data_root='data/imagenet', split='val', pipeline={{_base_.test_pipeline}}),
        classes=50,  # every class seen so far: 0..49
        class_order=class_order))
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='IncrementalAccuracy', num_classes=50)
test_evaluator = val_evaluator
auto_scale_lr = dict(base_batch_size=total_batch_size)  # the lr below is for this total batch
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4))
param_scheduler = dict(type='CosineAnnealingLR', T_max=epochs, by_epoch=True, begin=0, end=epochs, eta_min=0.0,
                       convert_to_iter_based=True)
train_cfg = dict(by_epoch=True, max_epochs=epochs, val_interval=10)
# The next session starts from the last checkpoint; a "best" one would be chosen on the validation
# images, which are the benchmark's test images here: none is kept.
default_hooks = dict(checkpoint=dict(save_best=None))
val_cfg = dict()
test_cfg = dict()
randomness = dict(seed=seed, deterministic=False)

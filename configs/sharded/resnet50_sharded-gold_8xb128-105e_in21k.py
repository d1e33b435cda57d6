# ResNet-50 on ImageNet-21k (21,841 classes, the Fall 2011 release mmpretrain's in21k configs train
# on) with the class-sharded fixed classifier (ShardedClsHead): each of the 8 ranks builds and holds
# 2,730 or 2,731 of the class vectors, and the exact softmax cross-entropy over all 21,841 classes
# is formed with collectives (docs/en/user_guides/cluster.md). Batch size, learning rate, optimizer,
# schedule and pipeline are the repo's EBV ImageNet-1k recipe (configs/ebv/resnet50_ebv_8xb128-105e_in1k.py,
# the EBV authors' own: see its bases); what differs is said below. Not trained here.
_base_ = [
    'mmpretrain::_base_/models/resnet50.py', '../_base_/datasets/imagenet_bs128_ebv-recipe.py',
    '../_base_/schedules/imagenet_bs1024_ebv-recipe-105e.py', 'mmpretrain::_base_/default_runtime.py'
]

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
num_classes = 21841  # mmpretrain's in21k configs (their dataset base says 21842)
data_preprocessor = dict(num_classes=num_classes)
model = dict(
    head=dict(
        _delete_=True,
        type='ShardedClsHead',
        num_classes=num_classes,
        in_channels=2048,  # ResNet-50's last stage after global average pooling
        classifier=dict(
            type='ShardedFixed',
            # this package's choice: 512 dims hold up to 261,633 extended Gold vectors with pairwise
            # |cos| <= 1/16, proved (Welch bound at 21,841 x 512: 0.044), built by index on each rank
            embed_dim=512,
            basis=dict(type='ExtendedGold', seed=0),
            # the EBV recipe's; 1 / 0.07 = 14.3 is above the 12.2 that a 0.9 target probability over
            # 21,841 classes needs (CosFace's bound on the scale: log((N - 1) 0.9 / 0.1))
            temperature=0.07),
        label_smoothing=0.1))  # the EBV recipe's

# this package's choice: no Mixup/CutMix (the EBV recipe's): the sharded head smooths hard labels
# only, and ImageNet-21k pre-training recipes (BiT) do without Mixup upstream
dataset_type = 'ImageNet21k'
data_root = 'data/imagenet21k'  # train/<class>/*.JPEG and meta/train.txt (`path label` lines), as mmpretrain's
train_dataloader = dict(dataset=dict(type=dataset_type, data_root=data_root, split='train'))
# ImageNet-21k has no official validation split: hold one out (e.g. 50 images a class) as val/ and
# meta/val.txt, in the layout of ImageNet-1k's val
held_out = dict(type=dataset_type, data_root=data_root, split='', data_prefix='val', ann_file='meta/val.txt')
val_dataloader = dict(dataset=held_out)
test_dataloader = dict(dataset=held_out)
# top-1 only: the sharded head predicts labels (and pred_topk), never the (B, N) scores that
# Accuracy's top-5 reads
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_evaluator = val_evaluator

# Class-incremental Fashion-MNIST, 4 + 2 + 2 + 2 classes: session 1 trains classes 0-3, sessions 2,
# 3 and 4 add 4-5, 6-7 and 8-9, each from the previous session's checkpoint (load_from, the head
# grown with grow_from_checkpoint=True), on its new classes plus an exemplar memory of the old ones;
# each validates on the test images of every class seen so far (IncrementalAccuracy). A recipe's
# *_session_<k>.py sets the classes, the head and the paths; run them all with
#   python tools/misc/run_incremental.py configs/incremental/<recipe> --work-dir DIR [--gpus N]
_base_ = ['../../_base_/models/small_convnet_fc.py', '../../_base_/datasets/fashion_mnist_bs128.py',
          '../../_base_/fashion_mnist_runtime.py']

seed = 0  # training seed and exemplar choice (run_incremental.py --seed sets both)
# The exemplar memory: stored training images per old class, 1,600 over the 8 old classes of the
# last session (iCaRL's memory holds 2,000 images, Rebuffi et al., CVPR 2017). Every session trains
# the whole network on its new classes and the memory (rehearsal, as Pernici et al., ICPR 2020,
# arXiv 2010.08657, train their pre-allocated fixed classifier); run_incremental.py
# --freeze-backbone freezes the backbone after the first session instead.
exemplars_per_class = 200
# Total batch over all processes. The per-process batch is total_batch_size // world size:
# run_incremental.py --gpus N passes train_dataloader.batch_size=total_batch_size // N, and
# --auto-scale-lr scales the learning rate by the real total batch / auto_scale_lr.base_batch_size.
total_batch_size = 128
train_dataloader = dict(
    batch_size=total_batch_size,  # for one process; see total_batch_size
    dataset=dict(
        _delete_=True,
        type='ClassIncrementalDataset',
        dataset=dict(type='LocalFashionMNIST', data_root='data/fashion_mnist', split='train',
                     pipeline={{_base_.train_pipeline}}),
        classes=[0, 1, 2, 3],
        exemplar_classes=[],
        exemplars_per_class=exemplars_per_class,
        seed=seed))
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClassIncrementalDataset',
        dataset=dict(type='LocalFashionMNIST', data_root='data/fashion_mnist', split='test',
                     pipeline={{_base_.test_pipeline}}),
        classes=4))  # every class seen so far: 0..3
test_dataloader = val_dataloader
val_evaluator = dict(_delete_=True, type='IncrementalAccuracy', num_classes=4)
test_evaluator = val_evaluator
auto_scale_lr = dict(base_batch_size=total_batch_size)  # the lr below is for this total batch

# 2 epochs a session: a one-epoch linear warm-up, then one cosine epoch
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4, nesterov=True))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=True, begin=0, end=1, convert_to_iter_based=True),
    dict(type='CosineAnnealingLR', T_max=1, by_epoch=True, begin=1, end=2, eta_min=1e-4,
         convert_to_iter_based=True),
]
train_cfg = dict(by_epoch=True, max_epochs=2, val_interval=1)
val_cfg = dict()
test_cfg = dict()
randomness = dict(seed=seed, deterministic=False)

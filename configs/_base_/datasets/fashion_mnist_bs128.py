# Fashion-MNIST (real, 60,000 train / 10,000 test 28x28 grey images) from Debian's
# dataset-fashion-mnist, unpacked into data/fashion_mnist by tools/install.sh.
dataset_type = 'LocalFashionMNIST'
data_root = 'data/fashion_mnist'

data_preprocessor = dict(
    num_classes=10,
    mean=[72.94],  # 0.2860 * 255, the training set's pixel mean
    std=[90.02],  # 0.3530 * 255, its pixel std
    to_rgb=False)

train_pipeline = [
    dict(type='RandomFlip', prob=0.5, direction='horizontal'),
    dict(type='PackInputs'),
]
# ToGrey: a no-op on the dataset's grey images; an image file given to mmpretrain's
# ImageClassificationInferencer arrives in colour, and the one-channel model needs grey.
test_pipeline = [dict(type='ToGrey'), dict(type='PackInputs')]

train_dataloader = dict(
    batch_size=128,
    num_workers=2,
    persistent_workers=False,  # fresh, identically seeded workers each epoch: exact resume
    dataset=dict(type=dataset_type, data_root=data_root, split='train', pipeline=train_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=True),
    collate_fn=dict(type='default_collate'),  # classification batches: stacked tensors
)
val_dataloader = dict(
    batch_size=500,
    num_workers=2,
    persistent_workers=True,
    dataset=dict(type=dataset_type, data_root=data_root, split='test', pipeline=test_pipeline),
    sampler=dict(type='DefaultSampler', shuffle=False),
    collate_fn=dict(type='default_collate'),
)
val_evaluator = dict(type='Accuracy', topk=(1, ))
test_dataloader = val_dataloader
test_evaluator = val_evaluator

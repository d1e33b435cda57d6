# The EBV authors' ImageNet schedule (EBV_ImageNet.py, aassxun/Equiangular-Basis-Vectors): SGD,
# momentum 0.9, lr 0.5 for a batch of 1024, weight decay 2e-5 on every parameter (BN and biases
# included), 105 epochs: 5 of linear warm-up from 0.01 x lr, then cosine to 0 over 100, the rate
# changing once per epoch as theirs. They trained with mixed precision: add --amp on GPUs.
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.5, momentum=0.9, weight_decay=2e-5))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=True, begin=0, end=5),
    dict(type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=5, end=105, eta_min=0.0),
]
train_cfg = dict(by_epoch=True, max_epochs=105, val_interval=1)
val_cfg = dict()
test_cfg = dict()
auto_scale_lr = dict(base_batch_size=1024)

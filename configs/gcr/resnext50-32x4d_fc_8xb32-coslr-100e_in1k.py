# ResNeXt-50 (32x4d) baseline for resnext50-32x4d_gcr_8xb32-coslr-100e_in1k.py. The GCR authors'
# repository (innerlee/gcr) has no ResNeXt-50 config: this applies their ResNet50-D recipe
# (resnetv1d50_fc_8xb32-coslr-100e_in1k.py: SGD lr 0.1 at batch 256, momentum 0.9, weight decay
# 1e-4, cosine over 100 epochs, no warm-up) to mmpretrain's ResNeXt-50.
_base_ = 'mmpretrain::resnext/resnext50-32x4d_8xb32_in1k.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(_delete_=True, type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)

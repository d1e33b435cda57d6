# The baseline twin of resnetv1d50_gcr_8xb32-coslr-100e_in1k.py, the GCR authors' ResNet50-D recipe
# (configs/resnet/resnet50d_8xb32_coslr_in1k.py, innerlee/gcr): mmpretrain's ResNet50-D, SGD lr 0.1
# for a batch of 256, momentum 0.9, weight decay 1e-4 on every parameter, cosine over 100 epochs
# with no warm-up, RandomResizedCrop 224 + flip, plain cross-entropy; test 256 -> centre crop 224.
_base_ = 'mmpretrain::resnet/resnetv1d50_8xb32_in1k.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = dict(_delete_=True, type='CosineAnnealingLR', T_max=100, by_epoch=True, begin=0, end=100)
train_cfg = dict(by_epoch=True, max_epochs=100, val_interval=1)

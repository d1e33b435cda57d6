# DML-CRC on CUB-200-2011 (for users who have it under data/CUB_200_2011, mmpretrain's layout):
# mmpretrain's ResNet-50 CUB recipe with the DML-CRC head. The paper used VGG-19 on CUB, Flowers
# and Pets; none of them is on the machines mmebv is tested on, so this config only builds in CI.
_base_ = 'mmpretrain::resnet/resnet50_8xb8_cub.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
model = dict(
    head=dict(
        _delete_=True,
        type='GeometricClsHead',
        num_classes=200,
        in_channels=2048,  # ResNet-50's pooled feature
        classifier=dict(
            type='DMLCRC',
            metric_dim=512,  # a low-rank metric L: 512 x 2048
            atoms_per_class=4,
            ridge=0.1,
            scale=16.0,
            ce_weight=1.0),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

# ResNet-50 on ImageNet-1k with an EBV classifier, as in the EBV paper: 1000 fixed orthonormal
# vectors in d = 1000 dims, temperature 0.07. Everything else is mmpretrain's recipe.
_base_ = './resnet50_fc_8xb32_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='EBVClsHead',
        num_classes=1000,
        in_channels=2048,  # ResNet-50's last stage after global average pooling
        classifier=dict(
            embed_dim=1000,  # d = N, the paper's ImageNet setting
            temperature=0.07,  # the paper's
            basis=dict(type='EBV', seed=0)),
        loss=dict(type='CrossEntropyLoss', loss_weight=1.0),
        topk=(1, 5)))

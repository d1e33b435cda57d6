# mmpretrain's ResNet-50 recipe (step schedule, 100 epochs) with the EBV authors' ImageNet head:
# 1000 fixed orthonormal vectors in d = 1000 dims, temperature 0.07. The authors' own training
# recipe is resnet50_ebv_8xb128-105e_in1k.py.
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

# ResNet-50 on ImageNet-1k with the EBV head, trained as the EBV authors trained theirs
# (EBV_ImageNet.py, aassxun/Equiangular-Basis-Vectors; see the dataset and schedule bases): d = N =
# 1000 orthonormal vectors, temperature 0.07, label smoothing 0.1, Mixup 0.2 / CutMix 1.0.
# The embedding-size ablation of the paper (d = 100 ... 2000, N = 1000) is one override:
#   --cfg-options model.head.classifier.embed_dim=100
# (d < N gives equiangular vectors near the Welch bound; the authors' own bases for those sizes
# convert with tools/model_converters/ebv_official_basis.py).
_base_ = './resnet50_fc_8xb128-105e_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='EBVClsHead',
        num_classes=1000,
        in_channels=2048,  # ResNet-50's last stage after global average pooling
        classifier=dict(
            embed_dim=1000,  # d = N, their ImageNet setting
            temperature=0.07,  # theirs
            basis=dict(type='EBV', seed=0)),
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5)))

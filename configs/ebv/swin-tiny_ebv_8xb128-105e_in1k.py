# Swin-T on ImageNet-1k with the EBV head (d = N = 1000, temperature 0.07), trained like its FC twin
# (swin-tiny_fc_8xb128-105e_in1k.py, whose comment says which settings are the EBV authors' and
# which are assumed).
_base_ = './swin-tiny_fc_8xb128-105e_in1k.py'

model = dict(
    head=dict(
        _delete_=True,
        type='EBVClsHead',
        num_classes=1000,
        in_channels=768,  # Swin-T's last stage after global average pooling
        classifier=dict(embed_dim=1000, temperature=0.07, basis=dict(type='EBV', seed=0)),
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),
        topk=(1, 5)))

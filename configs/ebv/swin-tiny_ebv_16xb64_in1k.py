# Swin-T on ImageNet-1k with an EBV classifier: 1000 fixed orthonormal vectors in d = 1000 dims,
# temperature 0.07 (the EBV paper's). Everything else is mmpretrain's Swin-T recipe (AdamW, 300
# epochs, Mixup/CutMix, label smoothing 0.1). Also the config that evaluates the EBV authors'
# Swin-T after tools/model_converters/ebv_official_to_mmebv.py --arch swin-t.
_base_ = 'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
model = dict(
    head=dict(
        _delete_=True,
        type='EBVClsHead',
        num_classes=1000,
        in_channels=768,  # Swin-T's last stage after global average pooling
        classifier=dict(
            embed_dim=1000,  # d = N, the paper's ImageNet setting
            temperature=0.07,  # the paper's
            basis=dict(type='EBV', seed=0)),
        loss=dict(type='LabelSmoothLoss', label_smooth_val=0.1, mode='original'),  # upstream's
        topk=(1, 5)))

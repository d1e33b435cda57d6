# A ResNet-50 trained by mmebv's classification config with the EBV head
# (configs/ebv/resnet50_ebv_8xb32_in1k.py), stripped by tools/model_converters/publish_model.py.
# Point `ebv_pretrained` (or model.backbone.init_cfg.checkpoint) at your own file.
ebv_pretrained = 'checkpoints/resnet50_ebv_8xb32_in1k.pth'
ebv_pretrained_init = dict(type='Pretrained', checkpoint=ebv_pretrained, prefix='backbone.')

# A ResNet-50 with an EBV head: by default the EBV authors' one, where their converter command writes
# it (docs/en/advanced_guides/authors_files.md: ebv_official_to_mmebv.py ... checkpoints/ebv_official_resnet50.pth);
# or your own, trained by configs/ebv/resnet50_ebv_8xb32_in1k.py and stripped by publish_model.py, which
# adds a hash to the name: point `ebv_pretrained` (or model.backbone.init_cfg.checkpoint) at that file.
ebv_pretrained = 'checkpoints/ebv_official_resnet50.pth'
ebv_pretrained_init = dict(type='Pretrained', checkpoint=ebv_pretrained, prefix='backbone.')

# The baseline twin of swin-tiny_gcr_8xb128_in1k.py, the GCR authors' Swin-T recipe
# (configs/swin_transformer/swin-tiny_8xb128_in1k.py, innerlee/gcr), which is mmpretrain's: AdamW lr
# 1e-3 for a batch of 1024, weight decay 0.05 (none on norms, biases and position tables), 20
# warm-up epochs, cosine to 1e-5 over 300 epochs, gradient clipping at 5, RandAugment, RandomErasing
# 0.25, Mixup 0.8 / CutMix 1.0, label smoothing 0.1, drop path 0.2.
_base_ = 'mmpretrain::swin_transformer/swin-tiny_16xb64_in1k.py'

custom_imports = dict(imports=['mmebv.cls', 'mmebv.engine'], allow_failed_imports=False)
train_dataloader = dict(batch_size=128)  # 8 GPUs x 128, as theirs
val_dataloader = dict(batch_size=128)
test_dataloader = dict(batch_size=128)

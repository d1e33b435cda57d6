# The FC twin of upernet_r18_ebv_4xb4-80k_ade20k-512x512.py (and of its GCR, DML-CRC and
# LM-Softmax twins): mmseg's R18 recipe with the same data_preprocessor.size fix, and mmebv's engine
# loaded so all twins run under the same tools.
_base_ = 'mmseg::upernet/upernet_r18_4xb4-80k_ade20k-512x512.py'

custom_imports = dict(imports=['mmebv.engine'], allow_failed_imports=False)
# mmseg's R18 UperNet configs set no data_preprocessor.size (its R50 ones do): without it mmseg's head
# asserts at the first iteration. As mmseg's 512x512 configs.
crop_size = (512, 512)
data_preprocessor = dict(size=crop_size)
model = dict(data_preprocessor=data_preprocessor)

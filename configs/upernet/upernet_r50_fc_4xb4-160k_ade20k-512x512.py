# The FC twin of upernet_r50_ebv_4xb4-160k_ade20k-512x512.py: mmseg's recipe unchanged, with
# mmebv's engine loaded so both twins run under the same tools.
_base_ = 'mmseg::upernet/upernet_r50_4xb4-160k_ade20k-512x512.py'

custom_imports = dict(imports=['mmebv.engine'], allow_failed_imports=False)

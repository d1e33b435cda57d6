# The EBV UperNet R18 config with DML-CRC classifiers in the decode and auxiliary heads instead: per
# pixel, ridge coding over 4 atoms per class under a learned full-rank metric, scale 16, plus the
# linear cross-entropy term (loss_linear_ce, weight 1): the classification config's values, not tuned
# for segmentation. Same data, schedule and budget as the EBV twin.
_base_ = './upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'

dmlcrc = dict(_delete_=True, type='DMLCRC', atoms_per_class=4, ridge=0.1, scale=16.0, ce_weight=1.0)
model = dict(decode_head=dict(type='GeometricUPerHead', classifier=dmlcrc),
             auxiliary_head=dict(type='GeometricFCNHead', classifier=dmlcrc))

# The EBV UperNet R18 config with GCR classifiers in the decode and auxiliary heads instead: each of
# the 150 classes a k = 8 dim subspace of the per-pixel feature, gamma = 25 (the GCR paper's ImageNet
# values; not tuned for segmentation), trained with RiemannianSGD (mmseg's lr and momentum, no weight
# decay on the subspaces). Same data, schedule and budget as the EBV twin.
_base_ = './upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'

gcr = dict(_delete_=True, type='Grassmann', subspace_dim=8, scale=25.0)
model = dict(decode_head=dict(type='GeometricUPerHead', classifier=gcr),
             auxiliary_head=dict(type='GeometricFCNHead', classifier=gcr))
optim_wrapper = dict(optimizer=dict(type='RiemannianSGD'))

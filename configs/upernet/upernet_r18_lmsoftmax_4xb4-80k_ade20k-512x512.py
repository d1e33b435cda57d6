# The EBV UperNet R18 config with largest-margin classifiers in the decode and auxiliary heads
# instead: per pixel, logits 64 cos θ to normalised class weights, trained with LM-Softmax and the
# sample-margin regulariser (weight 1), as the Fashion-MNIST config; not tuned for segmentation.
# The auxiliary head's loss keeps mmseg's weight 0.4. Same data, schedule and budget as the EBV twin.
_base_ = './upernet_r18_ebv_4xb4-80k_ade20k-512x512.py'

scale = 64.0  # s, shared by the classifiers and their losses
largest_margin = dict(_delete_=True, type='LargestMargin', scale=scale, sample_margin_weight=1.0)
model = dict(
    decode_head=dict(type='GeometricUPerHead', classifier=largest_margin,
                     loss_decode=dict(_delete_=True, type='LMSoftmaxSegLoss', scale=scale, loss_weight=1.0)),
    auxiliary_head=dict(type='GeometricFCNHead', classifier=largest_margin,
                        loss_decode=dict(_delete_=True, type='LMSoftmaxSegLoss', scale=scale, loss_weight=0.4)))

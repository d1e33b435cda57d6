# EBV extended per session (Shen et al., IJCV 2024) on ImageNet-1k B500-inc100: session 1 of 6, classes 0-499,
# from scratch. The recipe is in the base; the later sessions extend the basis and grow the head.
_base_ = '../_base_/resnet18_imagenet1k_b500-inc100.py'

work_dir = 'work_dirs/incremental/ebv_extend_imagenet1k/session_1'
val_evaluator = dict(out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

# EBV, extended per session (Shen et al., IJCV 2024): session 2 of 4, classes 4-5, from session 1's
# checkpoint; the EBV basis built for 4 classes, then extended to 6 (extend_from; old rows unchanged).
_base_ = './smallconvnet_ebv_session_1.py'

recipe_dir = 'work_dirs/incremental/ebv_extend'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_2'
load_from = recipe_dir + '/session_1/epoch_2.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=6, classifier=dict(grow_from_checkpoint=True, basis=dict(extend_from=[4]))))
train_dataloader = dict(dataset=dict(classes=[4, 5], exemplar_classes=4))  # new + exemplars of 0..3
val_dataloader = dict(dataset=dict(classes=6))  # the test images of classes 0..5
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=6, num_old_classes=4, history=recipe_dir + '/session_1/incremental.json',
                     out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

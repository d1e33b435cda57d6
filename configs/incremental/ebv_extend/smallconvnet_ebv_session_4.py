# EBV, extended per session (Shen et al., IJCV 2024): session 4 of 4, classes 8-9, from session 3's
# checkpoint; the EBV basis built for 4 classes, then extended to 6, 8, 10 (extend_from; old rows unchanged).
_base_ = './smallconvnet_ebv_session_3.py'

recipe_dir = 'work_dirs/incremental/ebv_extend'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_4'
load_from = recipe_dir + '/session_3/epoch_2.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=10, classifier=dict(grow_from_checkpoint=True, basis=dict(extend_from=[4, 6, 8]))))
train_dataloader = dict(dataset=dict(classes=[8, 9], exemplar_classes=8))  # new + exemplars of 0..7
val_dataloader = dict(dataset=dict(classes=10))  # the test images of classes 0..9
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=10, num_old_classes=8, history=recipe_dir + '/session_3/incremental.json',
                     out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

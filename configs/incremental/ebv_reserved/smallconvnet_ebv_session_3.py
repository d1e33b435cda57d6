# EBV reserved up front: 10 vectors built once (num_vectors=10), session k uses the first 4 + 2(k-1).
# Session 3 of 4: classes 6-7, from session 2's checkpoint.
_base_ = './smallconvnet_ebv_session_2.py'

recipe_dir = 'work_dirs/incremental/ebv_reserved'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_3'
load_from = recipe_dir + '/session_2/epoch_2.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=8, classifier=dict(grow_from_checkpoint=True)))
train_dataloader = dict(dataset=dict(classes=[6, 7], exemplar_classes=6))  # new + exemplars of 0..5
val_dataloader = dict(dataset=dict(classes=8))  # the test images of classes 0..7
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=8, num_old_classes=6, history=recipe_dir + '/session_2/incremental.json',
                     out_file=work_dir + '/incremental.json')  # the next session's history
test_evaluator = val_evaluator

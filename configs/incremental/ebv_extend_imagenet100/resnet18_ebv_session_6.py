# EBV extended per session on ImageNet-100 B50-inc10: session 6 of 6, classes 90-99, from session 5's
# checkpoint; the basis built for 50 classes, extended to 60, 70, 80, 90, 100 (old rows unchanged).
_base_ = './resnet18_ebv_session_5.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet100'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_6'
load_from = recipe_dir + '/session_5/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=100, classifier=dict(basis=dict(extend_from=[50, 60, 70, 80, 90]))))
train_dataloader = dict(dataset=dict(classes=list(range(90, 100)), exemplar_classes=90))  # + exemplars of 0..89
val_dataloader = dict(dataset=dict(classes=100))  # the val images of classes 0..99
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=100, num_old_classes=90, history=recipe_dir + '/session_5/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

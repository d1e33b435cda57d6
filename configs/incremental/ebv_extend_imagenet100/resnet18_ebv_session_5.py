# EBV extended per session on ImageNet-100 B50-inc10: session 5 of 6, classes 80-89, from session 4's
# checkpoint; the basis built for 50 classes, extended to 60, 70, 80, 90 (old rows unchanged).
_base_ = './resnet18_ebv_session_4.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet100'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_5'
load_from = recipe_dir + '/session_4/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=90, classifier=dict(basis=dict(extend_from=[50, 60, 70, 80]))))
train_dataloader = dict(dataset=dict(classes=list(range(80, 90)), exemplar_classes=80))  # + exemplars of 0..79
val_dataloader = dict(dataset=dict(classes=90))  # the val images of classes 0..89
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=90, num_old_classes=80, history=recipe_dir + '/session_4/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

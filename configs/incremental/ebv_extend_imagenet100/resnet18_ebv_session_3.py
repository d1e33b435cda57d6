# EBV extended per session on ImageNet-100 B50-inc10: session 3 of 6, classes 60-69, from session 2's
# checkpoint; the basis built for 50 classes, extended to 60, 70 (old rows unchanged).
_base_ = './resnet18_ebv_session_2.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet100'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_3'
load_from = recipe_dir + '/session_2/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=70, classifier=dict(basis=dict(extend_from=[50, 60]))))
train_dataloader = dict(dataset=dict(classes=list(range(60, 70)), exemplar_classes=60))  # + exemplars of 0..59
val_dataloader = dict(dataset=dict(classes=70))  # the val images of classes 0..69
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=70, num_old_classes=60, history=recipe_dir + '/session_2/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

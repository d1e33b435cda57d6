# EBV extended per session on ImageNet-100 B50-inc10: session 4 of 6, classes 70-79, from session 3's
# checkpoint; the basis built for 50 classes, extended to 60, 70, 80 (old rows unchanged).
_base_ = './resnet18_ebv_session_3.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet100'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_4'
load_from = recipe_dir + '/session_3/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=80, classifier=dict(basis=dict(extend_from=[50, 60, 70]))))
train_dataloader = dict(dataset=dict(classes=list(range(70, 80)), exemplar_classes=70))  # + exemplars of 0..69
val_dataloader = dict(dataset=dict(classes=80))  # the val images of classes 0..79
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=80, num_old_classes=70, history=recipe_dir + '/session_3/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

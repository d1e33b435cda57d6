# EBV extended per session on ImageNet-100 B50-inc10: session 2 of 6, classes 50-59, from session 1's
# checkpoint, the head grown (grow_from_checkpoint, kept by sessions 3-6);
# the basis built for 50 classes, extended to 60 (old rows unchanged).
_base_ = './resnet18_ebv_session_1.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet100'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_2'
load_from = recipe_dir + '/session_1/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=60, classifier=dict(grow_from_checkpoint=True, basis=dict(extend_from=[50]))))
train_dataloader = dict(dataset=dict(classes=list(range(50, 60)), exemplar_classes=50))  # + exemplars of 0..49
val_dataloader = dict(dataset=dict(classes=60))  # the val images of classes 0..59
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=60, num_old_classes=50, history=recipe_dir + '/session_1/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

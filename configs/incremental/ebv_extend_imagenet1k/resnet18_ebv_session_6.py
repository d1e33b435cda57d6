# EBV extended per session on ImageNet-1k B500-inc100: session 6 of 6, classes 900-999, from session 5's
# checkpoint; the basis built for 500 classes, extended to 600, 700, 800, 900, 1000 (old rows unchanged).
_base_ = './resnet18_ebv_session_5.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet1k'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_6'
load_from = recipe_dir + '/session_5/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=1000, classifier=dict(basis=dict(extend_from=[500, 600, 700, 800, 900]))))
train_dataloader = dict(dataset=dict(classes=list(range(900, 1000)), exemplar_classes=900))  # + exemplars of 0..899
val_dataloader = dict(dataset=dict(classes=1000))  # the val images of classes 0..999
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=1000, num_old_classes=900, history=recipe_dir + '/session_5/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

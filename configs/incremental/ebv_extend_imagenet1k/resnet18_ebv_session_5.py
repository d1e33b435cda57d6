# EBV extended per session on ImageNet-1k B500-inc100: session 5 of 6, classes 800-899, from session 4's
# checkpoint; the basis built for 500 classes, extended to 600, 700, 800, 900 (old rows unchanged).
_base_ = './resnet18_ebv_session_4.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet1k'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_5'
load_from = recipe_dir + '/session_4/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=900, classifier=dict(basis=dict(extend_from=[500, 600, 700, 800]))))
train_dataloader = dict(dataset=dict(classes=list(range(800, 900)), exemplar_classes=800))  # + exemplars of 0..799
val_dataloader = dict(dataset=dict(classes=900))  # the val images of classes 0..899
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=900, num_old_classes=800, history=recipe_dir + '/session_4/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

# EBV extended per session on ImageNet-1k B500-inc100: session 4 of 6, classes 700-799, from session 3's
# checkpoint; the basis built for 500 classes, extended to 600, 700, 800 (old rows unchanged).
_base_ = './resnet18_ebv_session_3.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet1k'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_4'
load_from = recipe_dir + '/session_3/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=800, classifier=dict(basis=dict(extend_from=[500, 600, 700]))))
train_dataloader = dict(dataset=dict(classes=list(range(700, 800)), exemplar_classes=700))  # + exemplars of 0..699
val_dataloader = dict(dataset=dict(classes=800))  # the val images of classes 0..799
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=800, num_old_classes=700, history=recipe_dir + '/session_3/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

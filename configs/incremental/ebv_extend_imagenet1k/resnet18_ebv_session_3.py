# EBV extended per session on ImageNet-1k B500-inc100: session 3 of 6, classes 600-699, from session 2's
# checkpoint; the basis built for 500 classes, extended to 600, 700 (old rows unchanged).
_base_ = './resnet18_ebv_session_2.py'

recipe_dir = 'work_dirs/incremental/ebv_extend_imagenet1k'  # run_incremental.py --work-dir replaces these paths
work_dir = recipe_dir + '/session_3'
load_from = recipe_dir + '/session_2/epoch_90.pth'  # the previous session's last checkpoint
model = dict(head=dict(num_classes=700, classifier=dict(basis=dict(extend_from=[500, 600]))))
train_dataloader = dict(dataset=dict(classes=list(range(600, 700)), exemplar_classes=600))  # + exemplars of 0..599
val_dataloader = dict(dataset=dict(classes=700))  # the val images of classes 0..699
test_dataloader = val_dataloader
val_evaluator = dict(num_classes=700, num_old_classes=600, history=recipe_dir + '/session_2/incremental.json',
                     out_file=work_dir + '/incremental.json')
test_evaluator = val_evaluator

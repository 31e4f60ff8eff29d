# DiffHand on HO-3D v2: DeiT-III large at 224 px. Training meshes need MANO (data/mano).
# Testing writes work_dirs/ho3d_pred.json in the official format (labels are hidden); score it
# on the HO-3D server or with tools/eval_submission.py ho3d --gt <released gt> --pred <file>.
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/ho3d.py',
    './_base_/models/diffhand_deit_large.py',
]

model = dict(head=dict(hand_model=dict(type='MANOHandModel', model_path='data/mano',
                                       side='right')))

max_epochs = 100
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs + 1)
val_cfg = None
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=True, milestones=[80], gamma=0.1),
]
auto_scale_lr = dict(base_batch_size=64)
# No labelled validation split: keep the last checkpoints instead of a best one.
default_hooks = dict(checkpoint=dict(save_best=None))

# DiffHand on FreiHAND, the paper's main setting: DeiT-III large at 224 px, AdamW, batch 64,
# 100 epochs, loss weights 1 / 0.05 (docs/model.md). FreiHAND's labels are in MANO's topology,
# so the head uses MANO (user-supplied: data/mano/MANO_RIGHT.pkl; a clear error says where to
# put it when missing). ImageNet weights: pretrained=True with internet, or a local file with
#   --cfg-options model.backbone.checkpoint=/path/to/deit3_large_patch16_224.pth
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/freihand.py',
    './_base_/models/diffhand_deit_large.py',
]

model = dict(
    backbone=dict(pretrained=False, drop_path_rate=0.1),
    head=dict(hand_model=dict(type='MANOHandModel', model_path='data/mano', side='right')))

max_epochs = 100
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

# lr / weight decay / schedule are not given in the paper text we could read: METRO's and
# MeshGraphormer's AdamW settings (lr 1e-4, decayed by 10 late in training) are used.
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=True, milestones=[80], gamma=0.1),
]
auto_scale_lr = dict(base_batch_size=64)

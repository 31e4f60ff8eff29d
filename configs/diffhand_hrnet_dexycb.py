# DiffHand on DexYCB (s0) with the HRNet-W64 encoder (timm's hrnet_w64: 2048 x 7 x 7 map).
# Meshes need MANO (data/mano); without it, set the dataset's mano=None and the metric's
# skip_vertices=True for joint metrics only (docs/datasets.md).
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/dexycb.py',
    './_base_/models/diffhand_hrnet_w64.py',
]

model = dict(head=dict(hand_model=dict(type='MANOHandModel', model_path='data/mano',
                                       side='right')))

max_epochs = 100
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=1000),
    dict(type='MultiStepLR', by_epoch=True, milestones=[80], gamma=0.1),
]
auto_scale_lr = dict(base_batch_size=64)

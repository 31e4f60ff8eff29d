# Tiny DiffHand on SynthHand: trains on 2 CPU cores in minutes. Not a paper setting: a small
# encoder (mobilenetv3_small_050 at 128 px) and a 64-wide decoder, for smoke tests, the quick
# start and the ablation curves in docs/learning_curves.md. The head uses the project's open
# hand model, whose topology the SynthHand labels are in.
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/synthhand.py',
    './_base_/models/diffhand_tiny.py',
]

max_iters = 300
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')

optim_wrapper = dict(optimizer=dict(type='AdamW', lr=1e-3, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=50, end=max_iters, T_max=max_iters - 50,
         eta_min=1e-5),
]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=100, max_keep_ckpts=3,
                    save_last=True, save_best='mesh/PA-MPJPE', rule='less'))
log_processor = dict(by_epoch=False, window_size=20)

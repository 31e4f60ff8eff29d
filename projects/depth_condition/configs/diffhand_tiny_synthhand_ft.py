# Fine-tune the shipped tiny DiffHand on SynthHand WITHOUT depth: the control arm of the depth
# experiment (the paper's Table 5, "no depth"). Same data, schedule and budget as
# diffhand_tiny_synthhand_depth_ft.py; only the depth branch is missing.
#   PYTHONPATH=projects/depth_condition python tools/train.py \
#       projects/depth_condition/configs/diffhand_tiny_synthhand_ft.py --work-dir work_dirs/ft
_base_ = ['../../../configs/diffhand_tiny_synthhand.py']

load_from = 'checkpoints/diffhand_tiny_synthhand.pth'
# SynthHand with depth maps (make_synthhand.py writes <split>/depth/%08d.png), seed 1: the
# shipped checkpoint was trained on seeds 0 and 2; its evaluation split is the quick start's.
data_root = 'data/synthhand_depth'

max_iters = 240
train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters, val_interval=max_iters)
optim_wrapper = dict(optimizer=dict(type='AdamW', lr=2e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=20, end=max_iters, T_max=max_iters - 20,
         eta_min=1e-5),
]
train_dataloader = dict(batch_size=16, num_workers=1,
                        dataset=dict(data_root=data_root, pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(batch_size=16, num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = val_dataloader
default_hooks = dict(
    logger=dict(type='LoggerHook', interval=20),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=max_iters, max_keep_ckpts=1,
                    save_last=True, save_best=None))

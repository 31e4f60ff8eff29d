# Tiny DiffHand on SynthHand rendered on the fly (no files): for machines with many cores and a
# GPU, where a written dataset of a few thousand images would be seen hundreds of times. The
# recipe of the shipped checkpoint (docs/benchmarks.md "Shipped checkpoint"):
#   python tools/train.py configs/diffhand_tiny_synthhand_online.py --work-dir work_dirs/online
# Every training sample is new (a stream of 10^6 seeded samples); validation uses 200 samples of
# the independent 'evaluation' stream of seed 1, the quick start's test images.
_base_ = ['./diffhand_tiny_synthhand.py']

max_iters = 6000
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=200),
    dict(type='CosineAnnealingLR', by_epoch=False, begin=200, end=max_iters,
         T_max=max_iters - 200, eta_min=1e-5),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=14,
    dataset=dict(_delete_=True, type='SynthHandOnlineDataset', num_samples=10**6, seed=0,
                 split='training', pipeline={{_base_.train_pipeline}}))
val_dataloader = dict(
    batch_size=50,
    num_workers=4,
    dataset=dict(_delete_=True, type='SynthHandOnlineDataset', num_samples=200, seed=1,
                 split='evaluation', test_mode=True, pipeline={{_base_.test_pipeline}}))
test_dataloader = val_dataloader

default_hooks = dict(
    logger=dict(interval=100),
    checkpoint=dict(interval=1000, max_keep_ckpts=2))

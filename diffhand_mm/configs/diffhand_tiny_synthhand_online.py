# Tiny DiffHand on SynthHand rendered on the fly (no files): for machines with many cores and a
# GPU, where a written dataset of a few thousand images would be seen hundreds of times. The
# recipe of the shipped checkpoint (docs/benchmarks.md "Shipped checkpoint"):
#   python tools/train.py configs/diffhand_tiny_synthhand_online.py --work-dir work_dirs/online
# Every training sample is new (a stream of 10^6 seeded samples); validation uses 200 samples of
# the independent 'evaluation' stream of seed 1, the quick start's test images.
from mmengine.config import read_base
from mmengine.optim import CosineAnnealingLR, LinearLR

from diffhand_mm.synth import SynthHandOnlineDataset

with read_base():
    from .diffhand_tiny_synthhand import *  # noqa: F401,F403

max_iters = 6000
train_cfg.update(max_iters=max_iters, val_interval=max_iters)
param_scheduler = [
    dict(type=LinearLR, start_factor=0.1, by_epoch=False, begin=0, end=200),
    dict(type=CosineAnnealingLR, by_epoch=False, begin=200, end=max_iters,
         T_max=max_iters - 200, eta_min=1e-5),
]

train_dataloader.update(batch_size=64, num_workers=14)
# The shipped checkpoint's recipe: one GPU, 64 images per step, at the tiny config's lr.
auto_scale_lr = dict(base_batch_size=64)
train_dataloader.dataset = dict(type=SynthHandOnlineDataset, num_samples=10**6, seed=0,
                                split='training', pipeline=train_pipeline)
val_dataloader.update(batch_size=50, num_workers=4)
val_dataloader.dataset = dict(type=SynthHandOnlineDataset, num_samples=200, seed=1,
                              split='evaluation', test_mode=True, pipeline=test_pipeline)
test_dataloader = val_dataloader

default_hooks.update(logger=dict(interval=100), checkpoint=dict(interval=1000, max_keep_ckpts=2))

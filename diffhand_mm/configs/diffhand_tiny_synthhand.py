# Tiny DiffHand on SynthHand: trains on 2 CPU cores in minutes. Not a paper setting: a small
# encoder (mobilenetv3_small_050 at 128 px) and a 64-wide decoder, for smoke tests, the quick
# start and the ablation curves in docs/learning_curves.md. The head uses the project's open
# hand model, whose topology the SynthHand labels are in.
from mmengine.config import read_base
from mmengine.optim import CosineAnnealingLR, LinearLR, OptimWrapper
from mmengine.runner import IterBasedTrainLoop, TestLoop, ValLoop
from torch.optim import AdamW

with read_base():
    from ._base_.datasets.synthhand import *  # noqa: F401,F403
    from ._base_.default_runtime import *  # noqa: F401,F403
    from ._base_.models.diffhand_tiny import *  # noqa: F401,F403

max_iters = 300
train_cfg = dict(type=IterBasedTrainLoop, max_iters=max_iters, val_interval=max_iters)
val_cfg = dict(type=ValLoop)
test_cfg = dict(type=TestLoop)

optim_wrapper = dict(type=OptimWrapper, optimizer=dict(type=AdamW, lr=1e-3, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type=LinearLR, start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type=CosineAnnealingLR, by_epoch=False, begin=50, end=max_iters, T_max=max_iters - 50,
         eta_min=1e-5),
]
# The lr above is for 16 images per step (one process); --auto-scale-lr multiplies it by
# (processes x batch_size) / 16.
auto_scale_lr = dict(base_batch_size=16)

default_hooks.update(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=100, max_keep_ckpts=3, save_last=True,
                    save_best='mesh/PA-MPJPE', rule='less'))
log_processor.update(by_epoch=False, window_size=20)

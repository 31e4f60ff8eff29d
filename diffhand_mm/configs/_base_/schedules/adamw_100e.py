# The paper's schedule: AdamW, batch 64, 100 epochs. lr / weight decay / decay step are not
# given in the paper text we could read: METRO's and MeshGraphormer's AdamW settings (lr 1e-4,
# decayed by 10 late in training) are used, after a 1000-iteration linear warm-up.
from mmengine.optim import LinearLR, MultiStepLR, OptimWrapper
from mmengine.runner import EpochBasedTrainLoop, TestLoop, ValLoop
from torch.optim import AdamW

max_epochs = 100
train_cfg = dict(type=EpochBasedTrainLoop, max_epochs=max_epochs, val_interval=5)
val_cfg = dict(type=ValLoop)
test_cfg = dict(type=TestLoop)
optim_wrapper = dict(type=OptimWrapper, optimizer=dict(type=AdamW, lr=1e-4, weight_decay=1e-4),
                     clip_grad=dict(max_norm=1.0))
param_scheduler = [
    dict(type=LinearLR, start_factor=0.01, by_epoch=False, begin=0, end=1000),
    dict(type=MultiStepLR, by_epoch=True, milestones=[80], gamma=0.1),
]
# The lr above is for 64 images per step in all (the paper's batch); --auto-scale-lr multiplies
# it by (processes x batch_size) / 64.
auto_scale_lr = dict(base_batch_size=64)

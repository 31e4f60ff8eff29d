# Runtime shared by every diffhand_mm experiment (MMPose 1.x style). Types are classes, so
# every part builds from any registry scope; `default_scope` still names our registries for
# the string types a user adds (e.g. with --cfg-options).
from mmengine.hooks import (CheckpointHook, DistSamplerSeedHook, IterTimerHook, LoggerHook,
                            ParamSchedulerHook)
from mmengine.runner import LogProcessor
from mmengine.visualization import LocalVisBackend, Visualizer

default_scope = 'diffhand_mm'

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, interval=50),
    param_scheduler=dict(type=ParamSchedulerHook),
    # Keep the best PA-MPJPE checkpoint and the last 3: nothing a user trained is lost.
    checkpoint=dict(type=CheckpointHook, interval=1, max_keep_ckpts=3, save_last=True,
                    save_best='mesh/PA-MPJPE', rule='less'),
    sampler_seed=dict(type=DistSamplerSeedHook),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type=LocalVisBackend)]
visualizer = dict(type=Visualizer, vis_backends=vis_backends, name='visualizer')
log_processor = dict(type=LogProcessor, window_size=50, by_epoch=True, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

# Runtime shared by every diffhand_mm experiment (MMPose 1.x style). Types are classes, so
# every part builds from any registry scope; `default_scope` still names our registries for
# the string types a user adds (e.g. with --cfg-options).
from mmengine.hooks import (CheckpointHook, DistSamplerSeedHook, IterTimerHook, LoggerHook,
                            ParamSchedulerHook)
from mmengine.runner import LogProcessor
from mmengine.visualization import LocalVisBackend

from diffhand_mm.engine import GuardedRunner, NonFiniteLossHook, StrictLoadHook
from diffhand_mm.visualization import MeshVisualizationHook, MeshVisualizer

default_scope = 'diffhand_mm'
# Takes the work dir's lock before anything is written there: a second run on the same work
# dir is refused; a killed run leaves nothing locked (diffhand_mm/engine/work_dir_lock.py).
runner_type = GuardedRunner

default_hooks = dict(
    timer=dict(type=IterTimerHook),
    logger=dict(type=LoggerHook, interval=50),
    param_scheduler=dict(type=ParamSchedulerHook),
    # Keep the best PA-MPJPE checkpoint and the last 3: nothing a user trained is lost.
    # Saves are atomic (write, then rename): a run killed while saving leaves no broken file.
    checkpoint=dict(type=CheckpointHook, interval=1, max_keep_ckpts=3, save_last=True,
                    save_best='mesh/PA-MPJPE', rule='less',
                    backend_args=dict(backend='atomic_local')),
    sampler_seed=dict(type=DistSamplerSeedHook),
    # A checkpoint of another model or model config is refused before it is loaded.
    strict_load=dict(type=StrictLoadHook),
    # Training stops at the first NaN / infinite loss, naming the batch's samples.
    non_finite_loss=dict(type=NonFiniteLossHook),
    # Off unless asked for: tools/test.py --show-dir DIR / --show turn it on.
    visualization=dict(type=MeshVisualizationHook, enable=False),
)

env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)

vis_backends = [dict(type=LocalVisBackend)]
# Draws the predicted mesh with the head's hand model (real-data configs set MANO).
visualizer = dict(type=MeshVisualizer, vis_backends=vis_backends, name='visualizer')
log_processor = dict(type=LogProcessor, window_size=50, by_epoch=True, num_digits=6)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0)

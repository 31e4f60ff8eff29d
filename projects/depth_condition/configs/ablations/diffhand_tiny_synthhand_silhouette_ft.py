# Control of the depth experiment: the branch is fed only the blurred silhouette of the
# rendered surfaces (hand and occluders), no relief: how much of a depth gain the silhouette a
# rendered depth map gives away explains (project README, "Is the rendered depth fair?").
from mmengine.config import read_base

with read_base():
    from ..diffhand_tiny_synthhand_depth_ft import *  # noqa: F401,F403

for pipeline in (train_dataloader.dataset.pipeline, val_dataloader.dataset.pipeline):
    for step in pipeline:
        if step['type'] is LoadDepthCondition:
            step['source'] = dict(depth_source, mode='silhouette')

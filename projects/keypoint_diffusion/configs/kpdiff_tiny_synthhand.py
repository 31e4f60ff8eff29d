# Diffusion over the 21 3D hand joints on SynthHand, with diffhand_mm's DiffusionMeshHead in
# this project's own scope and estimator (projects/keypoint_diffusion/README.md):
#   export PYTHONPATH=projects/keypoint_diffusion:$PYTHONPATH
#   python tools/train.py projects/keypoint_diffusion/configs/kpdiff_tiny_synthhand.py
# Data, loop, schedule and runtime come from diffhand_mm's tiny SynthHand config; the model is
# the same tiny encoder, the head's point set is the 21 joints (template: the training set's
# mean joints, written by tools/make_template.py), no faces, no hand model.
from mmengine.config import read_base
from mmpose.evaluation.metrics import EPE, PCKAccuracy

from diffhand_mm.evaluation import MeshMetric

with read_base():
    from diffhand_mm.configs.diffhand_tiny_synthhand import *  # noqa: F401,F403

default_scope = 'keypoint_diffusion'
custom_imports = dict(imports=['keypoint_diffusion'], allow_failed_imports=False)

model = dict(
    type='KeypointDiffusionEstimator',
    backbone=dict(type='diffhand_mm.TimmEncoder', model_name='mobilenetv3_small_050',
                  pretrained=False, img_size=128),
    head=dict(
        type='diffhand_mm.DiffusionMeshHead',
        # plain names inside our head resolve in diffhand_mm's scope
        hand_model=dict(type='PointSetTopology',
                        template='data/synthhand/keypoint_template.npy'),
        decoder=dict(type='CrossModalityDecoder', dim=64, num_blocks=3, num_heads=4,
                     ffn_ratio=2, sample_rate=4, num_levels=1, group_size=4),
        vertex_scale=0.1,
        loss_normal=None),  # a point set has no faces
    test_cfg=dict(sampling_steps=10, eta=0.0, num_hypotheses=1))

# 3D joints (mm; no mesh) and MMPose's own 2D keypoint metrics on the original images.
val_evaluator = [
    dict(type=MeshMetric, mode='freihand', prefix='keypoints', skip_vertices=True),
    dict(type=PCKAccuracy, thr=0.05),
    dict(type=EPE),
]
test_evaluator = val_evaluator
default_hooks.checkpoint.save_best = 'keypoints/PA-MPJPE'

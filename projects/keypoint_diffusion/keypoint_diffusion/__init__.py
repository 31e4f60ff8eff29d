"""keypoint_diffusion: diffusion over the 21 3D hand joints with diffhand_mm's DiffusionMeshHead.

A project of its own scope (``keypoint_diffusion``) that reuses diffhand_mm's head on another
point set: its registry is a child of MMEngine's (not of diffhand_mm's), its estimator is its
own, and it names diffhand_mm's parts with the ``diffhand_mm.`` prefix.
"""
from .estimator import KeypointDiffusionEstimator, joints_as_points
from .registry import MODELS
from .template import mean_root_relative_joints

__all__ = ['KeypointDiffusionEstimator', 'MODELS', 'joints_as_points',
           'mean_root_relative_joints']

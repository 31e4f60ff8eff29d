"""Heads: the DiffHand diffusion mesh head and its camera / hypothesis helpers."""
from .camera import (WeakPerspectiveCameraHead, box_to_camera, joint_box, normalized_to_pixels,
                     perspective_project, pixels_to_normalized, weak_perspective_project,
                     weak_perspective_to_translation)
from .diffusion_mesh_head import DiffusionMeshHead
from .hypotheses import select_consensus_hypothesis
from .topology import PointSetTopology

__all__ = [
    'DiffusionMeshHead', 'PointSetTopology', 'WeakPerspectiveCameraHead', 'box_to_camera', 'joint_box',
    'weak_perspective_project',
    'weak_perspective_to_translation', 'perspective_project', 'pixels_to_normalized',
    'normalized_to_pixels', 'select_consensus_hypothesis'
]

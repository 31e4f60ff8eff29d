"""Losses of the DiffHand head."""
from .mesh_losses import (Joint2DL1Loss, JointL1Loss, MaskedL1Loss, NormalConsistencyLoss,
                          VertexL1Loss, X0MSELoss, face_normals, masked_mean)

__all__ = [
    'X0MSELoss', 'MaskedL1Loss', 'VertexL1Loss', 'JointL1Loss', 'Joint2DL1Loss',
    'NormalConsistencyLoss', 'face_normals', 'masked_mean'
]

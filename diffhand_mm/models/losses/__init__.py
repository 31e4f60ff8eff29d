"""Losses of the DiffHand head: the paper's set (MSE, edge-normal) and ours (L1, normal cosine)."""
from .mesh_losses import (EdgeNormalLoss, Joint2DL1Loss, Joint2DMSELoss, JointL1Loss,
                          JointMSELoss, MaskedL1Loss, MaskedMSELoss, NormalConsistencyLoss,
                          VertexL1Loss, VertexMSELoss, X0MSELoss, face_edges, face_normals,
                          masked_mean)

__all__ = [
    'X0MSELoss', 'MaskedMSELoss', 'VertexMSELoss', 'JointMSELoss', 'Joint2DMSELoss',
    'EdgeNormalLoss', 'MaskedL1Loss', 'VertexL1Loss', 'JointL1Loss', 'Joint2DL1Loss',
    'NormalConsistencyLoss', 'face_edges', 'face_normals', 'masked_mean'
]

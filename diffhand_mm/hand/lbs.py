"""Linear blend skinning, the MANO way, written for batches and autograd.

Conventions (identical to MANO / SMPL): a pose is one axis-angle vector per joint; joint 0's
rotation is the global orientation; joint j's rotation acts in the frame of its parent, whose
rest axes are the template's (world) axes; the pose blend shapes are driven by the 15
non-root rotation matrices minus identity (15 * 9 = 135 features).
"""
from typing import Sequence, Tuple

import torch


def axis_angle_to_matrix(axis_angle: torch.Tensor) -> torch.Tensor:
    """Rodrigues' formula.

    Args:
        axis_angle: (..., 3) rotation vectors, radians.

    Returns:
        (..., 3, 3) rotation matrices. A zero vector gives exactly the identity, and the
        gradient there is finite.
    """
    # The epsilon keeps the gradient finite at zero; for a zero vector `axis` is exactly 0.
    angle = torch.sqrt((axis_angle ** 2).sum(-1, keepdim=True) + 1e-16)
    axis = axis_angle / angle
    cos, sin = torch.cos(angle)[..., None], torch.sin(angle)[..., None]
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    skew = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(*x.shape, 3, 3)
    eye = torch.eye(3, dtype=axis_angle.dtype, device=axis_angle.device)
    return eye + sin * skew + (1 - cos) * (skew @ skew)


def rigid_chain(rotations: torch.Tensor, rest_joints: torch.Tensor,
                parents: Sequence[int]) -> Tuple[torch.Tensor, torch.Tensor]:
    """Forward kinematics of a kinematic tree.

    Args:
        rotations: (B, J, 3, 3) local rotations (joint 0 = global orientation).
        rest_joints: (B, J, 3) rest-pose joint positions, metres.
        parents: J parent indices, parents[0] == -1, each parent before its children.

    Returns:
        posed_joints (B, J, 3) metres, and skinning transforms (B, J, 4, 4) that map a
        rest-pose point to its posed position when the point follows joint j rigidly.
    """
    batch, num_joints = rotations.shape[:2]
    rel_joints = rest_joints.clone()
    parent_idx = torch.as_tensor(parents[1:], dtype=torch.long, device=rest_joints.device)
    rel_joints[:, 1:] = rest_joints[:, 1:] - rest_joints[:, parent_idx]
    bottom = rotations.new_tensor([0, 0, 0, 1]).expand(batch, num_joints, 1, 4)
    local = torch.cat([torch.cat([rotations, rel_joints[..., None]], -1), bottom], -2)
    world = [local[:, 0]]
    for j in range(1, num_joints):
        world.append(world[parents[j]] @ local[:, j])
    world = torch.stack(world, 1)
    posed_joints = world[:, :, :3, 3]
    # Remove the rest position so that the transform applies to rest-pose coordinates.
    rest_offset = (world[:, :, :3, :3] @ rest_joints[..., None])[..., 0]
    skinning = world.clone()
    skinning[:, :, :3, 3] = posed_joints - rest_offset
    return posed_joints, skinning


def blend_skinning(vertices: torch.Tensor, weights: torch.Tensor,
                   transforms: torch.Tensor) -> torch.Tensor:
    """Apply linear blend skinning.

    Args:
        vertices: (B, V, 3) rest-pose (shaped and pose-corrected) vertices, metres.
        weights: (V, J) skinning weights, rows sum to 1.
        transforms: (B, J, 4, 4) skinning transforms from :func:`rigid_chain`.

    Returns:
        (B, V, 3) posed vertices, metres.
    """
    blended = torch.einsum('vj,bjkl->bvkl', weights, transforms)
    return (blended[..., :3, :3] @ vertices[..., None])[..., 0] + blended[..., :3, 3]


def pose_features(rotations: torch.Tensor) -> torch.Tensor:
    """MANO's pose blend shape input: non-root rotations minus identity, (B, (J-1)*9)."""
    eye = torch.eye(3, dtype=rotations.dtype, device=rotations.device)
    return (rotations[:, 1:] - eye).flatten(1)

"""A simple hand pose prior: negative log-likelihood usable as a loss."""
import torch
from torch import nn

from .hand_model import NUM_FINGER_POSE, HandModel
from .joint_orders import FINGER_CHAINS
from .pose_space import DIP_PIP_RATIO, axis_angle_to_local, joint_frames, joint_limits


class HandPosePrior(nn.Module):
    """Gaussian in anatomical joint angles, a steep penalty outside the joint limits and a
    DIP-PIP coupling term.

    For each of the 15 finger joints the axis-angle vector is expressed in its (flex, abd,
    twist) axes (:mod:`diffhand_mm.hand.pose_space`); then, with mean = middle of the limits
    and std = range / 4,

    ``nll = sum 0.5 ((theta - mean) / std)^2 + sum 0.5 (violation / margin)^2
    + sum_fingers 0.5 ((dip - 2/3 pip) / coupling_std)^2``

    up to an additive constant (the normaliser is omitted). Differentiable everywhere.

    Args:
        hand_model: Defines the joint frames (side and rest skeleton).
        margin: Radians; a limit violation of ``margin`` costs as much as 1 std.
        coupling_std: Radians, spread of DIP flexion around 2/3 of PIP flexion.
    """

    def __init__(self, hand_model: HandModel, margin: float = 0.05, coupling_std: float = 0.15):
        super().__init__()
        with torch.no_grad():
            rest = hand_model()
        frames = joint_frames(rest.skeleton[0].double(),
                              rest.vertices[0, hand_model.fingertip_ids].double(),
                              hand_model.side)
        limits = joint_limits()
        self.register_buffer('frames', frames.float())
        self.register_buffer('lower', limits[..., 0])
        self.register_buffer('upper', limits[..., 1])
        self.margin = margin
        self.coupling_std = coupling_std
        self.pip_dip = [(pip - 1, dip - 1) for finger, (_, pip, dip) in FINGER_CHAINS.items()
                        if finger != 'thumb']

    def forward(self, finger_pose: torch.Tensor) -> torch.Tensor:
        """Negative log-likelihood of poses.

        Args:
            finger_pose: (B, 45), (B, 15, 3), or a full pose (B, 48) / (B, 16, 3) whose
                global orientation is ignored; axis-angle with ``flat_hand_mean=True``.

        Returns:
            (B,) nll, dimensionless.
        """
        batch = finger_pose.shape[0]
        flat = finger_pose.reshape(batch, -1)
        if flat.shape[1] == NUM_FINGER_POSE + 3:
            flat = flat[:, 3:]
        if flat.shape[1] != NUM_FINGER_POSE:
            raise ValueError('finger_pose must be (B, 45), (B, 15, 3), (B, 48) or (B, 16, 3), '
                             f'got {tuple(finger_pose.shape)}')
        local = axis_angle_to_local(flat.reshape(batch, 15, 3), self.frames)
        mean = (self.lower + self.upper) / 2
        std = (self.upper - self.lower) / 4
        nll = 0.5 * (((local - mean) / std) ** 2).sum((1, 2))
        violation = torch.relu(local - self.upper) + torch.relu(self.lower - local)
        nll = nll + 0.5 * ((violation / self.margin) ** 2).sum((1, 2))
        for pip, dip in self.pip_dip:
            gap = local[:, dip, 0] - DIP_PIP_RATIO * local[:, pip, 0]
            nll = nll + 0.5 * (gap / self.coupling_std) ** 2
        return nll

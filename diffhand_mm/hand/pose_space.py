"""Anatomical joint frames and limits shared by the pose sampler and the pose prior.

A finger joint's axis-angle vector is written as ``flex * a_flex + abd * a_abd + twist * a_twist``
in three orthonormal axes computed from the model's rest skeleton, so the same limits serve
the open template, MANO and either side:

- fingers: ``a_twist`` = side * bone direction, ``a_flex`` = bone x palm normal (positive
  flexion curls towards the palm), ``a_abd`` = -side * palm normal (positive abduction
  moves the digit towards the thumb side);
- thumb: the pad direction ``p`` is the palm normal turned towards the ulnar side; ``a_flex`` =
  bone x p (flexion curls the thumb across the palm), ``a_abd`` = side * p, ``a_twist`` = side *
  bone (positive = pronation for a right hand).

``side`` is +1 for a right hand and -1 for a left one, so that the left-hand pose of the same
local angles is exactly the mirror (:func:`~diffhand_mm.hand.hand_model.mirror_pose`) of the
right-hand pose.
"""
import math

import torch

from .joint_orders import FINGER_CHAINS

# (flex, abd, twist) limits in radians per joint kind.
FINGER_LIMITS = {
    'mcp': ((-0.35, 1.57), (-0.35, 0.35), (-0.15, 0.15)),
    'pip': ((0.0, 1.75), (-0.05, 0.05), (-0.05, 0.05)),
    'dip': ((-0.10, 1.40), (-0.03, 0.03), (-0.03, 0.03)),
}
THUMB_LIMITS = {
    'cmc': ((-0.30, 0.90), (-0.40, 0.70), (-0.35, 0.70)),
    'mcp': ((-0.10, 1.00), (-0.10, 0.10), (-0.10, 0.10)),
    'ip': ((-0.30, 1.40), (-0.05, 0.05), (-0.05, 0.05)),
}
DIP_PIP_RATIO = 2.0 / 3.0  # DIP flexion ~ 2/3 of PIP flexion (tendon coupling)
THUMB_PAD_ANGLE = 0.9  # radians between the palm normal and the thumb pad direction


def joint_limits() -> torch.Tensor:
    """(15, 3, 2) (lo, hi) of (flex, abd, twist) for the 15 non-root MANO-order joints."""
    limits = torch.zeros(15, 3, 2)
    kinds = ('mcp', 'pip', 'dip')
    for finger, chain in FINGER_CHAINS.items():
        table = THUMB_LIMITS if finger == 'thumb' else FINGER_LIMITS
        names = ('cmc', 'mcp', 'ip') if finger == 'thumb' else kinds
        for joint, kind in zip(chain, names):
            limits[joint - 1] = torch.tensor(table[kind])
    return limits


def _unit(v: torch.Tensor) -> torch.Tensor:
    return v / v.norm(dim=-1, keepdim=True)


def joint_frames(rest_joints: torch.Tensor, fingertips: torch.Tensor, side: str) -> torch.Tensor:
    """Anatomical axes of the 15 non-root joints.

    Args:
        rest_joints: (16, 3) rest skeleton in MANO's order, metres.
        fingertips: (5, 3) rest fingertips (thumb, index, middle, ring, pinky), metres.
        side: 'right' or 'left'.

    Returns:
        (15, 3, 3): for joint j (1..15) row ``j - 1`` holds the unit axes (a_flex, a_abd,
        a_twist) as its three rows.
    """
    sign = 1.0 if side == 'right' else -1.0
    wrist, index, pinky = rest_joints[0], rest_joints[1], rest_joints[7]
    normal = sign * _unit(torch.cross(index - wrist, pinky - wrist, dim=0))  # palmar
    frames = torch.zeros(15, 3, 3, dtype=rest_joints.dtype)
    for d, (finger, chain) in enumerate(FINGER_CHAINS.items()):
        points = [rest_joints[j] for j in chain] + [fingertips[d]]
        for k, joint in enumerate(chain):
            bone = _unit(points[k + 1] - points[k])
            if finger == 'thumb':
                radial = _unit(index - pinky)
                pad = math.cos(THUMB_PAD_ANGLE) * normal - math.sin(THUMB_PAD_ANGLE) * radial
                pad = _unit(pad - bone * (pad @ bone))
                flex, abd = _unit(torch.cross(bone, pad, dim=0)), sign * pad
            else:
                towards_palm = _unit(normal - bone * (normal @ bone))
                flex = _unit(torch.cross(bone, towards_palm, dim=0))
                # Rotating about -normal swings the bone towards the radial side.
                abd = -sign * towards_palm
            frames[joint - 1] = torch.stack([flex, abd, sign * bone])
    return frames


def local_to_axis_angle(local: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """(B, 15, 3) (flex, abd, twist) radians -> (B, 15, 3) axis-angle in the model frame."""
    return torch.einsum('bjk,jkc->bjc', local, frames.to(local))


def axis_angle_to_local(axis_angle: torch.Tensor, frames: torch.Tensor) -> torch.Tensor:
    """Inverse of :func:`local_to_axis_angle` (the frames are orthonormal)."""
    return torch.einsum('bjc,jkc->bjk', axis_angle, frames.to(axis_angle))

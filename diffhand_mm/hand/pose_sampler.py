"""Random anatomically plausible hand poses, with finger interpenetration rejected."""
from typing import Optional

import torch

from .hand_model import HandModel
from .joint_orders import FINGER_CHAINS
from .lbs import axis_angle_to_matrix, rigid_chain
from .pose_space import DIP_PIP_RATIO, joint_frames, joint_limits, local_to_axis_angle

# Capsule radius = this fraction of the digit's rest half-width (soft tissue gives way a bit).
CAPSULE_SHRINK = 0.8


def segment_distance(p0, p1, q0, q1) -> torch.Tensor:
    """Closest distance between segments [p0, p1] and [q0, q1], all (..., 3) -> (...)."""
    d1, d2, r = p1 - p0, q1 - q0, p0 - q0
    a, e = (d1 * d1).sum(-1), (d2 * d2).sum(-1)
    b, c, f = (d1 * d2).sum(-1), (d1 * r).sum(-1), (d2 * r).sum(-1)
    denom = (a * e - b * b).clamp_min(1e-12)
    s = ((b * f - c * e) / denom).clamp(0, 1)
    t = ((b * s + f) / e).clamp(0, 1)
    s = ((b * t - c) / a).clamp(0, 1)  # re-project after clamping t
    return (p0 + d1 * s[..., None] - q0 - d2 * t[..., None]).norm(dim=-1)


class HandPoseSampler:
    """Samples poses within per-joint limits, with grasp/open synergies and DIP-PIP coupling.

    A sample blends an open hand and a power grasp by a level g in [0, 1] (arcsine distributed): mean
    flexion of every joint = g * 80 % of its range above zero, plus independent noise
    (std = ``noise`` x range), DIP flexion = 2/3 PIP flexion + small noise; abduction spreads
    more when the hand is open; the thumb opposes (CMC flexion and pronation) with g. Values
    are clipped to :func:`~diffhand_mm.hand.pose_space.joint_limits`, and poses in which
    two digits' capsules (segment MCP-PIP-DIP-tip, radius 0.8 x rest half-width) overlap are
    drawn again.

    Args:
        hand_model: The model whose rest skeleton defines the joint frames and capsules.
        noise: Per-joint noise as a fraction of each limit range.
    """

    def __init__(self, hand_model: HandModel, noise: float = 0.12):
        with torch.no_grad():
            rest = hand_model()
        self.side = hand_model.side
        self.parents = hand_model.parent_list
        self.rest_joints = rest.skeleton[0].double()
        self.rest_tips = rest.vertices[0, hand_model.fingertip_ids].double()
        self.frames = joint_frames(self.rest_joints, self.rest_tips, self.side)
        self.limits = joint_limits().double()
        self.noise = noise
        # Capsule radius per digit from the template: mean distance of tip-ring vertices.
        verts = rest.vertices[0].double()
        weights = hand_model.skinning_weights.double()
        radii = []
        for chain in FINGER_CHAINS.values():
            members = weights[:, list(chain)].sum(1) > 0.99
            near_pip = (verts[members] - self.rest_joints[chain[1]]).norm(dim=1)
            radii.append(near_pip.topk(8, largest=False).values.mean())
        self.capsule_radii = CAPSULE_SHRINK * torch.stack(radii)

    def sample_local(self, num: int, generator: torch.Generator) -> torch.Tensor:
        """(num, 15, 3) (flex, abd, twist) radians, before the collision test."""
        lo, hi = self.limits[..., 0], self.limits[..., 1]
        span = hi - lo
        # Arcsine-distributed grasp level: open and closed hands are the most frequent.
        uniform = torch.rand(num, 1, generator=generator, dtype=torch.float64)
        grasp = 0.5 - 0.5 * torch.cos(torch.pi * uniform)
        flex_mean = grasp * 0.8 * hi[:, 0].clamp_min(0)
        local = torch.randn(num, 15, 3, generator=generator, dtype=torch.float64) \
            * self.noise * span
        local[..., 0] += flex_mean
        spread = (1 - grasp) * torch.rand(num, 1, generator=generator, dtype=torch.float64)
        for finger, mcp_side in (('index', 1.0), ('middle', 0.0), ('ring', -0.6), ('pinky', -1.0)):
            local[:, FINGER_CHAINS[finger][0] - 1, 1] += spread[:, 0] * mcp_side * hi[0, 1]
        thumb_cmc = FINGER_CHAINS['thumb'][0] - 1
        local[:, thumb_cmc, 2] += grasp[:, 0] * 0.5 * hi[thumb_cmc, 2]
        local = torch.maximum(torch.minimum(local, hi), lo)
        for finger, (_, pip, dip) in FINGER_CHAINS.items():
            if finger == 'thumb':
                continue
            coupled = DIP_PIP_RATIO * local[:, pip - 1, 0] \
                + 0.05 * torch.randn(num, generator=generator, dtype=torch.float64)
            local[:, dip - 1, 0] = coupled.clamp(lo[dip - 1, 0], hi[dip - 1, 0])
        return local

    def capsules(self, finger_pose: torch.Tensor):
        """Posed digit polylines (B, 5, 4, 3): base joint, two joints, tip."""
        batch = finger_pose.shape[0]
        pose = torch.cat([finger_pose.new_zeros(batch, 1, 3), finger_pose], 1)
        rot = axis_angle_to_matrix(pose)
        rest = self.rest_joints.to(pose).expand(batch, -1, -1)
        posed, transforms = rigid_chain(rot, rest, self.parents)
        chains = []
        for d, chain in enumerate(FINGER_CHAINS.values()):
            tip_h = torch.cat([self.rest_tips[d].to(pose), pose.new_ones(1)])
            tip = (transforms[:, chain[2]] @ tip_h)[:, :3]
            chains.append(torch.stack([posed[:, j] for j in chain] + [tip], 1))
        return torch.stack(chains, 1)

    def interpenetrates(self, finger_pose: torch.Tensor) -> torch.Tensor:
        """(B,) bool: whether two different digits' capsules overlap."""
        chains = self.capsules(finger_pose)
        radii = self.capsule_radii.to(finger_pose)
        hit = torch.zeros(finger_pose.shape[0], dtype=torch.bool)
        for d in range(5):
            for e in range(d + 1, 5):
                for i in range(3):
                    for k in range(3):
                        dist = segment_distance(chains[:, d, i], chains[:, d, i + 1],
                                                chains[:, e, k], chains[:, e, k + 1])
                        hit |= dist < radii[d] + radii[e]
        return hit

    def __call__(self, num: int, seed: Optional[int] = None, global_orient: bool = False,
                 max_rounds: int = 50) -> torch.Tensor:
        """Draw poses.

        Args:
            num: Number of poses.
            seed: Seed of the torch generator (None: nondeterministic).
            global_orient: Also draw a uniformly random global orientation for joint 0.
            max_rounds: Give up (RuntimeError) after this many rejection rounds.

        Returns:
            (num, 16, 3) float32 axis-angle poses for ``hand_model(pose=...)`` with
            ``flat_hand_mean=True`` (the pose is not relative to ``pca_mean``).
        """
        generator = torch.Generator()
        if seed is not None:
            generator.manual_seed(seed)
        accepted = []
        for _ in range(max_rounds):
            local = self.sample_local(max(2 * num, 8), generator)
            finger_pose = local_to_axis_angle(local, self.frames)
            accepted.append(finger_pose[~self.interpenetrates(finger_pose)])
            if sum(len(a) for a in accepted) >= num:
                break
        finger_pose = torch.cat(accepted)[:num]
        if len(finger_pose) < num:
            raise RuntimeError(f'only {len(finger_pose)} of {num} poses free of '
                               f'interpenetration after {max_rounds} rounds')
        root = torch.zeros(num, 1, 3, dtype=torch.float64)
        if global_orient:
            quat = torch.randn(num, 4, generator=generator, dtype=torch.float64)
            quat = quat / quat.norm(dim=1, keepdim=True)
            quat = quat * torch.sign(quat[:, :1] + 1e-12)
            half = torch.acos(quat[:, 0].clamp(-1, 1))
            axis = quat[:, 1:] / torch.sin(half).clamp_min(1e-9)[:, None]
            root = (axis * 2 * half[:, None])[:, None]
        return torch.cat([root, finger_pose], 1).float()

"""The hand model every layer of diffhand_mm uses: a batched, differentiable MANO-style LBS mesh.

See ``docs/architecture.md`` section 1 for the contract and ``docs/hand_model.md`` for frames,
joint orders and how to plug in MANO.
"""
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np
import torch
from torch import nn

from diffhand_mm.registry import MODELS
from .joint_orders import MANO16_TO_OPENPOSE21
from .lbs import axis_angle_to_matrix, blend_skinning, pose_features, rigid_chain

NUM_JOINTS = 16
NUM_FINGER_POSE = 45  # 15 non-root joints x 3 axis-angle values
# Mirroring x -> -x maps a rotation R to M R M, M = diag(-1, 1, 1); on axis-angle vectors this
# is (x, y, z) -> (x, -y, -z).
_AXIS_ANGLE_MIRROR = (1.0, -1.0, -1.0)


@dataclass
class HandOutput:
    """Result of :meth:`HandModel.forward`.

    Attributes:
        vertices: (B, V, 3) posed mesh vertices, metres.
        joints: (B, 21, 3) posed joints in FreiHAND / OpenPose order: the 16 posed skeleton
            joints plus the 5 fingertip vertices (as MANO-based ground truth is made), metres.
        skeleton: (B, 16, 3) posed skeleton joints in MANO's order, metres.
    """
    vertices: torch.Tensor
    joints: torch.Tensor
    skeleton: torch.Tensor


def mirror_pose(pose: torch.Tensor) -> torch.Tensor:
    """Mirror axis-angle poses across the x = 0 plane (right-hand pose <-> left-hand pose).

    Args:
        pose: (..., 3k) or (..., k, 3) axis-angle values, joint-major.

    Returns:
        The same shape with every (x, y, z) triple replaced by (x, -y, -z).
    """
    sign = pose.new_tensor(_AXIS_ANGLE_MIRROR)
    return (pose.reshape(*pose.shape[:-1], -1, 3) * sign).reshape(pose.shape)


def mirror_arrays(arrays: dict) -> dict:
    """Turn the arrays of a right hand into those of its mirror image (x -> -x).

    Faces are re-wound (columns 1 and 2 swapped) so that normals still point outwards; shape
    and pose blend shapes are mirrored exactly, so that ``left(mirror_pose(p), betas)`` equals
    the mirror of ``right(p, betas)``.

    Args:
        arrays: numpy arrays named as :class:`HandModel`'s constructor arguments.

    Returns:
        A new dict; arrays not affected by mirroring are shared.
    """
    out = dict(arrays)
    out['v_template'] = arrays['v_template'] * np.array([-1.0, 1.0, 1.0])
    out['faces'] = arrays['faces'][:, [0, 2, 1]]
    out['shapedirs'] = arrays['shapedirs'] * np.array([-1.0, 1.0, 1.0])[None, :, None]
    # Pose feature (R - I)[a, b] of the mirror hand is m_a m_b times the original one.
    m = np.array([-1.0, 1.0, 1.0])
    feature_sign = np.tile(np.outer(m, m).ravel(), NUM_JOINTS - 1)
    out['posedirs'] = arrays['posedirs'] * m[None, :, None] * feature_sign[None, None, :]
    out['pca_components'] = arrays['pca_components'] * np.tile(_AXIS_ANGLE_MIRROR, 15)[None]
    out['pca_mean'] = arrays['pca_mean'] * np.tile(_AXIS_ANGLE_MIRROR, 15)
    return out


@MODELS.register_module()
class HandModel(nn.Module):
    """A MANO-style hand: shape blend shapes, pose blend shapes, LBS over 16 joints.

    Args:
        v_template: (V, 3) rest vertices, metres.
        faces: (F, 3) vertex ids, wound counter-clockwise seen from outside.
        skinning_weights: (V, 16) rows summing to 1.
        shapedirs: (V, 3, S) shape blend shapes, metres per unit of beta.
        posedirs: (V, 3, 135) pose blend shapes, metres per unit of pose feature.
        joint_regressor: (16, V) rows summing to 1; skeleton = regressor @ shaped vertices.
        parents: (16,) parent of each joint in MANO's order, -1 for the root.
        fingertip_ids: (5,) vertex ids of the thumb, index, middle, ring, pinky tips.
        pca_components: (45, 45) rows = PCA directions of the 45 finger pose values.
        pca_mean: (45,) mean finger pose (MANO's ``hands_mean``).
        side: 'right' or 'left'.
        flat_hand_mean: If False, ``pca_mean`` is added to the finger pose (both for
            axis-angle and PCA input), as MANO / manopth / smplx do; pose zero is then the
            mean hand. If True, pose zero is the template (flat hand).
        num_pca_comps: Number of PCA coefficients ``forward(pca_pose=...)`` expects.
    """

    def __init__(self, v_template, faces, skinning_weights, shapedirs, posedirs,
                 joint_regressor, parents, fingertip_ids, pca_components, pca_mean,
                 side: str = 'right', flat_hand_mean: bool = True, num_pca_comps: int = 45):
        super().__init__()
        if side not in ('right', 'left'):
            raise ValueError(f"side must be 'right' or 'left', got {side!r}")
        if not 1 <= num_pca_comps <= NUM_FINGER_POSE:
            raise ValueError(f'num_pca_comps must be in [1, 45], got {num_pca_comps}')
        num_vertices = len(v_template)
        expected = {
            'v_template': (num_vertices, 3), 'skinning_weights': (num_vertices, NUM_JOINTS),
            'posedirs': (num_vertices, 3, 9 * (NUM_JOINTS - 1)),
            'joint_regressor': (NUM_JOINTS, num_vertices), 'parents': (NUM_JOINTS,),
            'fingertip_ids': (5,), 'pca_components': (NUM_FINGER_POSE, NUM_FINGER_POSE),
            'pca_mean': (NUM_FINGER_POSE,)}
        given = dict(v_template=v_template, skinning_weights=skinning_weights,
                     posedirs=posedirs, joint_regressor=joint_regressor, parents=parents,
                     fingertip_ids=fingertip_ids, pca_components=pca_components,
                     pca_mean=pca_mean)
        for name, shape in expected.items():
            if tuple(np.shape(given[name])) != shape:
                raise ValueError(f'{name} must have shape {shape}, got {np.shape(given[name])}')
        if np.ndim(shapedirs) != 3 or np.shape(shapedirs)[:2] != (num_vertices, 3):
            raise ValueError(f'shapedirs must have shape ({num_vertices}, 3, S), '
                             f'got {np.shape(shapedirs)}')
        faces = np.asarray(faces)
        if faces.ndim != 2 or faces.shape[1] != 3 or faces.min() < 0 or faces.max() >= num_vertices:
            raise ValueError(f'faces must be (F, 3) ids in [0, {num_vertices}), got shape '
                             f'{faces.shape} with range [{faces.min()}, {faces.max()}]')
        parents = [int(p) for p in parents]
        if parents[0] != -1 or any(not 0 <= p < j for j, p in enumerate(parents) if j > 0):
            raise ValueError(f'parents must be -1 for the root and precede each joint, got {parents}')

        def f32(array):
            return torch.as_tensor(np.asarray(array, dtype=np.float32))

        self.side = side
        self.flat_hand_mean = flat_hand_mean
        self.num_pca_comps = num_pca_comps
        self.num_vertices = num_vertices
        self.num_betas = int(np.shape(shapedirs)[2])
        self.parent_list = parents
        self.register_buffer('v_template', f32(v_template))
        self.register_buffer('faces', torch.as_tensor(faces, dtype=torch.long))
        self.register_buffer('skinning_weights', f32(skinning_weights))
        self.register_buffer('shapedirs', f32(shapedirs))
        self.register_buffer('posedirs', f32(posedirs))
        # Our open hand has no pose blend shapes (all zeros): skip their (V,3,135) product.
        self.has_pose_blend_shapes = bool(np.any(np.asarray(posedirs) != 0))
        self.register_buffer('joint_regressor', f32(joint_regressor))
        self.register_buffer('parents', torch.as_tensor(parents, dtype=torch.long))
        self.register_buffer('fingertip_ids', torch.as_tensor(fingertip_ids, dtype=torch.long))
        self.register_buffer('pca_components', f32(pca_components))
        self.register_buffer('pca_mean', f32(pca_mean))

    def _full_pose(self, pose: Optional[torch.Tensor], pca_pose: Optional[torch.Tensor],
                   batch: int) -> torch.Tensor:
        """(B, 16, 3) axis-angle pose from the forward arguments."""
        dtype, device = self.v_template.dtype, self.v_template.device
        if pca_pose is not None:
            if pca_pose.ndim != 2 or pca_pose.shape[1] != self.num_pca_comps:
                raise ValueError(f'pca_pose must be (B, {self.num_pca_comps}), '
                                 f'got {tuple(pca_pose.shape)}')
            fingers = pca_pose @ self.pca_components[:self.num_pca_comps]
            if pose is None:
                root = fingers.new_zeros(batch, 3)
            elif pose.shape[1:] in ((3,), (48,), (16, 3)):
                root = pose.reshape(batch, -1)[:, :3]
            else:
                raise ValueError('with pca_pose, pose must be (B, 3), (B, 48) or (B, 16, 3) '
                                 f'(only its global orientation is used), got {tuple(pose.shape)}')
        elif pose is None:
            root = torch.zeros(batch, 3, dtype=dtype, device=device)
            fingers = torch.zeros(batch, NUM_FINGER_POSE, dtype=dtype, device=device)
        else:
            if pose.shape[1:] not in ((48,), (16, 3)):
                raise ValueError(f'pose must be (B, 48) or (B, 16, 3), got {tuple(pose.shape)}')
            flat = pose.reshape(batch, 48)
            root, fingers = flat[:, :3], flat[:, 3:]
        if not self.flat_hand_mean:
            fingers = fingers + self.pca_mean
        return torch.cat([root, fingers], 1).reshape(batch, NUM_JOINTS, 3)

    def forward(self, pose: Optional[torch.Tensor] = None, betas: Optional[torch.Tensor] = None,
                transl: Optional[torch.Tensor] = None,
                pca_pose: Optional[torch.Tensor] = None) -> HandOutput:
        """Pose and shape the hand.

        Args:
            pose: (B, 16, 3) or (B, 48) axis-angle, radians; joint 0 is the global orientation
                (about the wrist joint). With ``pca_pose`` it may also be (B, 3); only its
                first 3 values are then used.
            betas: (B, S') shape coefficients, S' <= num_betas (missing ones are 0).
            transl: (B, 3) translation, metres.
            pca_pose: (B, num_pca_comps) coefficients of ``pca_components``, used instead of
                the 45 finger values of ``pose``.

        Returns:
            :class:`HandOutput`. With every argument None the batch size is 1.
        """
        given = [t for t in (pose, betas, transl, pca_pose) if t is not None]
        batch = given[0].shape[0] if given else 1
        if any(t.shape[0] != batch for t in given):
            raise ValueError(f'batch sizes differ: {[tuple(t.shape) for t in given]}')
        full_pose = self._full_pose(pose, pca_pose, batch)

        vertices = self.v_template.expand(batch, -1, -1)
        if betas is not None:
            if betas.ndim != 2 or betas.shape[1] > self.num_betas:
                raise ValueError(f'betas must be (B, S) with S <= {self.num_betas}, '
                                 f'got {tuple(betas.shape)}')
            vertices = vertices + torch.einsum('vcs,bs->bvc',
                                               self.shapedirs[..., :betas.shape[1]], betas)
        rest_joints = torch.einsum('jv,bvc->bjc', self.joint_regressor, vertices)
        rotations = axis_angle_to_matrix(full_pose)
        if self.has_pose_blend_shapes:
            vertices = vertices + torch.einsum('vck,bk->bvc', self.posedirs,
                                               pose_features(rotations))
        skeleton, transforms = rigid_chain(rotations, rest_joints, self.parent_list)
        vertices = blend_skinning(vertices, self.skinning_weights, transforms)
        if transl is not None:
            vertices = vertices + transl[:, None]
            skeleton = skeleton + transl[:, None]
        tips = vertices[:, self.fingertip_ids]
        joints = torch.cat([skeleton, tips], 1)[:, MANO16_TO_OPENPOSE21]
        return HandOutput(vertices=vertices, joints=joints, skeleton=skeleton)

    def joint_regressor_21(self) -> torch.Tensor:
        """(21, V) dense regressor: skeleton rows plus one-hot fingertip rows, OpenPose order."""
        tips = torch.zeros(5, self.num_vertices, dtype=self.joint_regressor.dtype,
                           device=self.joint_regressor.device)
        tips[torch.arange(5), self.fingertip_ids] = 1.0
        return torch.cat([self.joint_regressor, tips], 0)[MANO16_TO_OPENPOSE21]

    def joints_from_vertices(self, vertices: torch.Tensor) -> torch.Tensor:
        """Regress 21 OpenPose-order joints (B, 21, 3) from meshes (B, V, 3) of this topology.

        On a posed mesh the regressed skeleton joints are close to, not equal to, the posed
        skeleton of :meth:`forward` (LBS does not keep the regressor's convex combinations
        exactly at the joint centres).
        """
        if vertices.shape[-2:] != (self.num_vertices, 3):
            raise ValueError(f'vertices must be (B, {self.num_vertices}, 3), '
                             f'got {tuple(vertices.shape)}')
        return torch.einsum('jv,bvc->bjc', self.joint_regressor_21().to(vertices.dtype), vertices)

    def extra_repr(self) -> str:
        return (f'side={self.side}, num_vertices={self.num_vertices}, '
                f'num_betas={self.num_betas}, flat_hand_mean={self.flat_hand_mean}')

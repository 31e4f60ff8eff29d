"""Joint orders of the hand models and datasets, and the index maps between them.

Every map here is a list ``m`` such that ``target = source[m]`` (numpy / torch fancy indexing).
The maps are built from joint names, so they can be read and checked against each other.
"""
MANO_JOINT_NAMES = (
    'wrist',
    'index1', 'index2', 'index3',
    'middle1', 'middle2', 'middle3',
    'pinky1', 'pinky2', 'pinky3',
    'ring1', 'ring2', 'ring3',
    'thumb1', 'thumb2', 'thumb3',
)
"""The 16 skeleton joints in MANO's order (1 = MCP, 2 = PIP, 3 = DIP; thumb: CMC, MCP, IP)."""

MANO_PARENTS = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14)
"""Kinematic tree of the 16 MANO-order joints; the root's parent is -1."""

FINGERTIP_NAMES = ('thumb4', 'index4', 'middle4', 'ring4', 'pinky4')
"""Fingertips in the order of ``fingertip_ids`` (thumb, index, middle, ring, pinky)."""

MANO21_JOINT_NAMES = MANO_JOINT_NAMES + FINGERTIP_NAMES
"""16 skeleton joints followed by the 5 fingertips: the order HO-3D v2 uses for its 21 joints."""

OPENPOSE_JOINT_NAMES = ('wrist',) + tuple(
    f'{finger}{k}' for finger in ('thumb', 'index', 'middle', 'ring', 'pinky') for k in range(1, 5))
"""FreiHAND / OpenPose order: wrist, then thumb, index, middle, ring, pinky, each base to tip."""

MANO16_TO_OPENPOSE21 = [MANO21_JOINT_NAMES.index(name) for name in OPENPOSE_JOINT_NAMES]
"""``openpose21 = concat(mano16_joints, fingertips)[MANO16_TO_OPENPOSE21]``.

Equals ``[0, 13, 14, 15, 16, 1, 2, 3, 17, 4, 5, 6, 18, 10, 11, 12, 19, 7, 8, 9, 20]``.
"""

HO3D_JOINT_NAMES = MANO21_JOINT_NAMES
"""HO-3D v2: wrist, index1-3, middle1-3, pinky1-3, ring1-3, thumb1-3, tips thumb..pinky."""

HO3D_TO_OPENPOSE = [HO3D_JOINT_NAMES.index(name) for name in OPENPOSE_JOINT_NAMES]
"""``openpose21 = ho3d21[HO3D_TO_OPENPOSE]``."""

OPENPOSE_TO_HO3D = [OPENPOSE_JOINT_NAMES.index(name) for name in HO3D_JOINT_NAMES]
"""``ho3d21 = openpose21[OPENPOSE_TO_HO3D]``."""

FREIHAND_FINGERTIP_IDS = (744, 320, 443, 555, 672)
"""MANO-topology fingertip vertex ids used by FreiHAND (thumb, index, middle, ring, pinky)."""

SMPLX_FINGERTIP_IDS = (744, 320, 443, 554, 671)
"""MANO-topology fingertip vertex ids used by smplx (thumb, index, middle, ring, pinky)."""

FINGER_CHAINS = {
    'thumb': (13, 14, 15),
    'index': (1, 2, 3),
    'middle': (4, 5, 6),
    'ring': (10, 11, 12),
    'pinky': (7, 8, 9),
}
"""MANO-order joint ids of each digit, base to distal; key order = fingertip order."""

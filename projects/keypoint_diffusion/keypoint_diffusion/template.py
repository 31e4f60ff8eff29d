"""The keypoint template from data: the mean hand pose of a training set."""
import json

import numpy as np

from diffhand_mm.evaluation.functional import procrustes_align


def mean_root_relative_joints(xyz_file: str, rounds: int = 2) -> np.ndarray:
    """Procrustes mean of the joints in a FreiHAND-layout ``*_xyz.json`` file, wrist at 0.

    A plain mean of root-relative joints over hands seen in every orientation shrinks towards
    the wrist; each hand is first similarity-aligned (rotation, scale, translation) to the
    current mean, starting from the first hand, ``rounds`` times.

    Args:
        xyz_file: JSON list of (21, 3) joints in metres, camera frame, OpenPose order (what
            FreiHAND and SynthHand write as ``training_xyz.json``).
        rounds: Alignment rounds (generalised Procrustes analysis).

    Returns:
        np.ndarray: (21, 3) float32 metres, joint 0 (the wrist) at the origin, at the scale of
        the first hand.

    Raises:
        ValueError: the file holds no joints, or not (N, 21, 3) finite values.
    """
    with open(xyz_file) as f:
        joints = np.asarray(json.load(f), dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (21, 3) or len(joints) == 0 or \
            not np.isfinite(joints).all():
        raise ValueError(f'{xyz_file}: expected a non-empty list of finite (21, 3) joints, got '
                         f'shape {joints.shape}.')
    mean = joints[0]
    for _ in range(rounds):
        mean = procrustes_align(np.broadcast_to(mean, joints.shape), joints).mean(0)
    return (mean - mean[:1]).astype(np.float32)

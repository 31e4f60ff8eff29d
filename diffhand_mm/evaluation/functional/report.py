"""The reported hand-mesh metrics of one benchmark, computed from whole arrays.

This is where metres become millimetres: the one function here takes metres and returns the
numbers a paper reports (errors in mm, AUC and F-scores as fractions). ``MeshMetric`` and
``tools/eval_submission.py`` both call it, so both give the same numbers.
"""
from typing import Dict, Optional

import numpy as np

from .alignment import (HO3D_SCALE_JOINTS_OPENPOSE, align_scale_translation,
                        procrustes_align, root_relative)
from .errors import F_SCORE_THRESHOLDS, f_scores, mean_point_error, pck_auc, point_errors

#: Alignment conventions: 'freihand' scores the camera frame as is; 'ho3d' adds the official
#: scale-translation alignment; 'dexycb' scores root-relative (joint 0) coordinates.
MODES = ('freihand', 'ho3d', 'dexycb')

_M_TO_MM = 1000.0


def _check_points(name: str, points: np.ndarray, num_samples: Optional[int] = None) -> np.ndarray:
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 3 or points.shape[-1] != 3 or len(points) == 0:
        raise ValueError(f'{name}: expected shape (N, P, 3) with N >= 1, got {points.shape}')
    if num_samples is not None and len(points) != num_samples:
        raise ValueError(f'{name}: expected {num_samples} samples, got {len(points)}')
    if not np.all(np.isfinite(points)):
        raise ValueError(f'{name}: contains NaN or infinite values')
    return points


def _joint_scores(gt: np.ndarray, pred: np.ndarray, prefix: str) -> Dict[str, float]:
    errors = point_errors(gt, pred)
    return {f'{prefix}MPJPE': mean_point_error(errors) * _M_TO_MM,
            f'{prefix}AUC-J': pck_auc(errors)}


def _vertex_scores(gt: np.ndarray, pred: np.ndarray, prefix: str) -> Dict[str, float]:
    scores = {f'{prefix}MPVPE': mean_point_error(point_errors(gt, pred)) * _M_TO_MM}
    per_sample = f_scores(gt, pred, F_SCORE_THRESHOLDS)
    for threshold, value in zip(F_SCORE_THRESHOLDS, per_sample.mean(axis=0)):
        scores[f'{prefix}F@{round(threshold * _M_TO_MM)}'] = float(value)
    return scores


def compute_hand_report(gt_joints: np.ndarray, pred_joints: np.ndarray,
                        gt_vertices: Optional[np.ndarray] = None,
                        pred_vertices: Optional[np.ndarray] = None,
                        mode: str = 'freihand') -> Dict[str, float]:
    """Score predictions of a whole test set the way the benchmark's official script does.

    Joints must be in OpenPose order (0 wrist, 9 middle MCP) for the 'ho3d' and 'dexycb'
    conventions; all points in one camera frame per sample.

    Args:
        gt_joints: (N, J, 3) ground-truth joints, metres.
        pred_joints: (N, J, 3) predicted joints, metres.
        gt_vertices: (N, V, 3) ground-truth vertices, metres, or None to score joints only.
        pred_vertices: (N, V, 3) predicted vertices, metres; required with ``gt_vertices``.
        mode: 'freihand', 'ho3d' or 'dexycb' (see :data:`MODES`).

    Returns:
        Keys (errors in mm, the rest fractions in [0, 1]):
        ``MPJPE, PA-MPJPE, AUC-J, PA-AUC-J`` always; with vertices also
        ``MPVPE, PA-MPVPE, F@5, F@15, PA-F@5, PA-F@15`` (F-scores at 5 and 15 mm, on
        vertices); mode 'ho3d' adds ``ST-MPJPE, ST-AUC-J`` (scale-translation aligned); mode
        'dexycb' reports root-relative values under the plain keys and adds the absolute
        ``ABS-MPJPE, ABS-AUC-J``. AUC is over 0-50 mm in 100 steps.
    """
    if mode not in MODES:
        raise ValueError(f'mode must be one of {MODES}, got {mode!r}')
    gt_joints = _check_points('ground-truth joints', gt_joints)
    num_samples = len(gt_joints)
    pred_joints = _check_points('predicted joints', pred_joints, num_samples)
    if pred_joints.shape != gt_joints.shape:
        raise ValueError(f'predicted joints {pred_joints.shape} and ground-truth joints '
                         f'{gt_joints.shape} differ in shape')
    with_vertices = gt_vertices is not None
    if with_vertices:
        if pred_vertices is None:
            raise ValueError('ground-truth vertices were given without predicted vertices')
        gt_vertices = _check_points('ground-truth vertices', gt_vertices)
        pred_vertices = _check_points('predicted vertices', pred_vertices, num_samples)
        if len(gt_vertices) != num_samples or pred_vertices.shape != gt_vertices.shape:
            raise ValueError(f'predicted vertices {pred_vertices.shape} and ground-truth '
                             f'vertices {gt_vertices.shape} must both be ({num_samples}, V, 3)')

    report: Dict[str, float] = {}
    if mode == 'dexycb':
        report.update(_joint_scores(gt_joints, pred_joints, 'ABS-'))
        gt_root, pred_root = gt_joints[:, 0], pred_joints[:, 0]
        gt_joints = root_relative(gt_joints, gt_root)
        pred_joints = root_relative(pred_joints, pred_root)
        if with_vertices:
            gt_vertices = root_relative(gt_vertices, gt_root)
            pred_vertices = root_relative(pred_vertices, pred_root)

    report.update(_joint_scores(gt_joints, pred_joints, ''))
    report.update(_joint_scores(gt_joints, procrustes_align(gt_joints, pred_joints), 'PA-'))
    if mode == 'ho3d':
        aligned = align_scale_translation(gt_joints, pred_joints, HO3D_SCALE_JOINTS_OPENPOSE)
        report.update(_joint_scores(gt_joints, aligned, 'ST-'))
    if with_vertices:
        report.update(_vertex_scores(gt_vertices, pred_vertices, ''))
        report.update(_vertex_scores(gt_vertices, procrustes_align(gt_vertices, pred_vertices),
                                     'PA-'))
    return report

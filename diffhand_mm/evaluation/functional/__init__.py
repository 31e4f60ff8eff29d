"""Numpy scoring functions of the hand benchmarks (metres in; see each function for units)."""
from .alignment import (HO3D_SCALE_JOINTS_OPENPOSE, PROCRUSTES_NORM_EPS,
                        align_scale_translation, procrustes_align, root_relative)
from .errors import (AUC_MAX_THRESHOLD, AUC_NUM_THRESHOLDS, F_SCORE_THRESHOLDS, f_scores,
                     mean_point_error, nearest_distances, pck_auc, pck_curve, pck_thresholds,
                     point_errors)
from .report import MODES, compute_hand_report
from .surface import dihedral_angle_errors, dihedral_angles, interior_edges
from .uncertainty import DEFAULT_FRACTIONS, rank_correlation, sparsification

__all__ = [
    'HO3D_SCALE_JOINTS_OPENPOSE', 'PROCRUSTES_NORM_EPS', 'align_scale_translation',
    'procrustes_align', 'root_relative', 'AUC_MAX_THRESHOLD', 'AUC_NUM_THRESHOLDS',
    'F_SCORE_THRESHOLDS', 'f_scores', 'mean_point_error', 'nearest_distances', 'pck_auc',
    'pck_curve', 'pck_thresholds', 'point_errors', 'MODES', 'compute_hand_report',
    'dihedral_angle_errors', 'dihedral_angles', 'interior_edges', 'DEFAULT_FRACTIONS',
    'rank_correlation', 'sparsification'
]

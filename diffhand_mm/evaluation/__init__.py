"""Evaluation: numpy scoring functions, the registered MeshMetric and official-format files."""
from .functional import compute_hand_report, procrustes_align
from .metrics import MeshMetric
from .submission import (read_dexycb_ground_truth, read_dexycb_results,
                         read_freihand_ground_truth, read_freihand_pair,
                         read_ho3d_ground_truth, read_ho3d_submission, write_dexycb_results,
                         write_freihand_submission, write_ho3d_submission)

__all__ = [
    'compute_hand_report', 'procrustes_align', 'MeshMetric', 'read_dexycb_ground_truth',
    'read_dexycb_results', 'read_freihand_ground_truth', 'read_freihand_pair',
    'read_ho3d_ground_truth', 'read_ho3d_submission', 'write_dexycb_results',
    'write_freihand_submission', 'write_ho3d_submission'
]

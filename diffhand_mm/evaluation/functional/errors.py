"""Per-point errors, FreiHAND-style means, PCK/AUC and the F-score.

Inputs are numpy arrays in metres, batched over samples; outputs are metres or fractions.
The conventions are those of the official FreiHAND scoring (``eval.py`` and
``utils/eval_util.py`` of lmb-freiburg/freihand), which HO-3D and DexYCB reuse.
"""
import numpy as np
from scipy.spatial import cKDTree

#: PCK thresholds of the official scripts: ``linspace(0, 0.05 m, 100)``.
AUC_MAX_THRESHOLD = 0.05
AUC_NUM_THRESHOLDS = 100

#: F-score thresholds of the official scripts, metres (5 mm and 15 mm).
F_SCORE_THRESHOLDS = (0.005, 0.015)

_trapezoid = getattr(np, 'trapezoid', None) or np.trapz


def point_errors(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Euclidean distance of every point.

    Args:
        gt: (N, P, 3) ground-truth points, metres.
        pred: (N, P, 3) predicted points, metres.

    Returns:
        (N, P) float64 distances, metres.
    """
    gt = np.asarray(gt, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if gt.shape != pred.shape or gt.shape[-1] != 3:
        raise ValueError(f'ground truth {gt.shape} and prediction {pred.shape} must have the '
                         'same shape (..., 3)')
    return np.sqrt(np.sum(np.square(gt - pred), axis=-1))


def mean_point_error(errors: np.ndarray) -> float:
    """FreiHAND's mean: mean over samples for each point, then mean over points.

    Args:
        errors: (N, P) distances, metres.

    Returns:
        The mean error, metres.
    """
    return float(np.mean(np.mean(errors, axis=0)))


def pck_thresholds(max_threshold: float = AUC_MAX_THRESHOLD,
                   num: int = AUC_NUM_THRESHOLDS) -> np.ndarray:
    """The official thresholds, ``linspace(0, max_threshold, num)``, metres."""
    return np.linspace(0.0, max_threshold, num)


def pck_curve(errors: np.ndarray, thresholds: np.ndarray) -> np.ndarray:
    """Percentage of correct points per point and threshold (error <= threshold, inclusive).

    Args:
        errors: (N, P) distances, metres.
        thresholds: (T,) thresholds, metres.

    Returns:
        (P, T) fraction of samples whose point error is within each threshold.
    """
    errors = np.asarray(errors, dtype=np.float64)
    return np.mean(errors[:, :, None] <= thresholds[None, None, :], axis=0)


def pck_auc(errors: np.ndarray, max_threshold: float = AUC_MAX_THRESHOLD,
            num_thresholds: int = AUC_NUM_THRESHOLDS) -> float:
    """Area under the PCK curve, normalised by the threshold range, averaged over points.

    As the official ``EvalUtil.get_measures``: a trapezoid integral of each point's PCK curve
    over ``linspace(0, max_threshold, num_thresholds)``, divided by the integral of 1 over the
    same range, then the mean over points.

    Args:
        errors: (N, P) distances, metres.
        max_threshold: upper end of the threshold range, metres.
        num_thresholds: number of thresholds.

    Returns:
        AUC in [0, 1].
    """
    thresholds = pck_thresholds(max_threshold, num_thresholds)
    curves = pck_curve(errors, thresholds)
    norm = _trapezoid(np.ones_like(thresholds), thresholds)
    return float(np.mean(_trapezoid(curves, thresholds, axis=-1) / norm))


def nearest_distances(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """For each point of ``source``, the distance to its nearest point of ``target``.

    Args:
        source: (P, 3) points, metres.
        target: (Q, 3) points, metres.

    Returns:
        (P,) float64 distances, metres (exact, from a k-d tree).
    """
    distances, _ = cKDTree(np.asarray(target, dtype=np.float64)).query(
        np.asarray(source, dtype=np.float64), k=1)
    return distances


def f_scores(gt_points: np.ndarray, pred_points: np.ndarray,
             thresholds=F_SCORE_THRESHOLDS) -> np.ndarray:
    """F-score of each sample at each threshold, as the official ``calculate_fscore``.

    With the official naming: precision = fraction of ground-truth points whose nearest
    predicted point is closer than the threshold (strictly), recall = fraction of predicted
    points whose nearest ground-truth point is closer than the threshold; F = 2PR / (P + R),
    0 when both are 0. The prediction may have a different number of points.

    Args:
        gt_points: (N, P, 3) ground-truth points, metres.
        pred_points: (N, Q, 3) predicted points, metres.
        thresholds: distances, metres.

    Returns:
        (N, len(thresholds)) F-scores in [0, 1]; average over samples for the reported value.
    """
    if len(gt_points) != len(pred_points):
        raise ValueError(f'{len(gt_points)} ground-truth samples but {len(pred_points)} '
                         'predicted samples')
    thresholds = np.asarray(thresholds, dtype=np.float64)
    scores = np.zeros((len(gt_points), len(thresholds)))
    for i, (gt, pred) in enumerate(zip(gt_points, pred_points)):
        gt_to_pred = nearest_distances(gt, pred)
        pred_to_gt = nearest_distances(pred, gt)
        precision = np.mean(gt_to_pred[:, None] < thresholds, axis=0)
        recall = np.mean(pred_to_gt[:, None] < thresholds, axis=0)
        total = precision + recall
        scores[i] = np.where(total > 0, 2 * precision * recall / np.where(total > 0, total, 1), 0)
    return scores

"""Alignments applied to a prediction before it is compared with the ground truth.

All functions take numpy arrays in metres, batched over samples: ``(N, P, 3)`` (or a single
sample ``(P, 3)``), and return the aligned prediction in the same shape, in float64.
"""
import numpy as np

#: Added to the Frobenius norms before dividing, as the official FreiHAND ``align_w_scale`` does.
PROCRUSTES_NORM_EPS = 1e-8

#: Joints whose distance sets the scale in HO-3D's ``align_sc_tr``: wrist and middle-finger MCP.
#: The official script indexes them as 0 and 4 in HO-3D's joint order; in our OpenPose order the
#: middle-finger MCP is joint 9.
HO3D_SCALE_JOINTS_OPENPOSE = (0, 9)


def _as_batch(gt: np.ndarray, pred: np.ndarray):
    gt = np.asarray(gt, dtype=np.float64)
    pred = np.asarray(pred, dtype=np.float64)
    if gt.shape != pred.shape or gt.ndim not in (2, 3) or gt.shape[-1] != 3:
        raise ValueError(f'expected ground truth and prediction of the same shape (N, P, 3) or '
                         f'(P, 3), got {gt.shape} and {pred.shape}')
    single = gt.ndim == 2
    if single:
        gt, pred = gt[None], pred[None]
    return gt, pred, single


def procrustes_align(gt: np.ndarray, pred: np.ndarray) -> np.ndarray:
    """Similarity-align ``pred`` onto ``gt`` exactly as FreiHAND's official ``align_w_scale``.

    Both point sets are centred on their means and divided by their Frobenius norms (plus
    :data:`PROCRUSTES_NORM_EPS`); the orthogonal matrix ``R`` and scale ``s`` are those of
    ``scipy.linalg.orthogonal_procrustes(gt_n, pred_n)`` (``R = U V^T`` from the SVD of
    ``gt_n^T pred_n``, ``s`` the sum of its singular values). ``R`` may be a reflection
    (det -1): the official scoring allows it, unlike MMPose's ``compute_similarity_transform``.

    Args:
        gt: (N, P, 3) or (P, 3) ground-truth points, metres.
        pred: same shape, predicted points, metres.

    Returns:
        (N, P, 3) or (P, 3) float64: ``(pred_n @ R.T) * s * ||gt_c|| + mean(gt)``.
    """
    gt, pred, single = _as_batch(gt, pred)
    gt_mean = gt.mean(axis=1, keepdims=True)
    pred_mean = pred.mean(axis=1, keepdims=True)
    gt_centred = gt - gt_mean
    pred_centred = pred - pred_mean
    gt_norm = np.linalg.norm(gt_centred, axis=(1, 2), keepdims=True) + PROCRUSTES_NORM_EPS
    pred_norm = np.linalg.norm(pred_centred, axis=(1, 2), keepdims=True) + PROCRUSTES_NORM_EPS
    gt_n = gt_centred / gt_norm
    pred_n = pred_centred / pred_norm

    u, singular_values, vt = np.linalg.svd(np.swapaxes(gt_n, 1, 2) @ pred_n)
    rotation = u @ vt  # (N, 3, 3); gt_n @ rotation ~ pred_n
    scale = singular_values.sum(axis=1)[:, None, None]
    aligned = (pred_n @ np.swapaxes(rotation, 1, 2)) * scale * gt_norm + gt_mean
    return aligned[0] if single else aligned


def align_scale_translation(gt_joints: np.ndarray, pred_joints: np.ndarray,
                            scale_joints=HO3D_SCALE_JOINTS_OPENPOSE) -> np.ndarray:
    """Scale-and-translation alignment of HO-3D's official ``align_sc_tr``.

    The prediction is scaled so that its distance between ``scale_joints`` equals the ground
    truth's (when the prediction's distance is 0 it is multiplied by the ground-truth distance
    alone, as the official code does), then translated so that its joint ``scale_joints[0]``
    (the root) lands on the ground-truth root.

    Args:
        gt_joints: (N, J, 3) or (J, 3) ground-truth joints, metres.
        pred_joints: same shape, predicted joints, metres.
        scale_joints: (root, other) joint indices in the given joint order. Default (0, 9):
            wrist and middle MCP in OpenPose order (HO-3D's own order names them 0 and 4).

    Returns:
        Aligned prediction, same shape as the input, float64.
    """
    gt, pred, single = _as_batch(gt_joints, pred_joints)
    root, other = scale_joints
    pred_length = np.linalg.norm(pred[:, other] - pred[:, root], axis=-1)
    gt_length = np.linalg.norm(gt[:, other] - gt[:, root], axis=-1)
    safe_length = np.where(pred_length > 0, pred_length, 1.0)
    scaled = pred / safe_length[:, None, None] * gt_length[:, None, None]
    aligned = scaled - scaled[:, root:root + 1] + gt[:, root:root + 1]
    return aligned[0] if single else aligned


def root_relative(points: np.ndarray, root_points: np.ndarray) -> np.ndarray:
    """Express points relative to a root (DexYCB's convention: the wrist, joint 0).

    Args:
        points: (N, P, 3) or (P, 3) points, metres.
        root_points: (N, 3) or (3,) root of each sample, metres.

    Returns:
        ``points - root``, float64, same shape as ``points``.
    """
    points = np.asarray(points, dtype=np.float64)
    root_points = np.asarray(root_points, dtype=np.float64)
    return points - root_points[..., None, :]

import numpy as np
import pytest
from scipy.linalg import orthogonal_procrustes
from scipy.spatial.transform import Rotation

from diffhand_mm.evaluation.functional import (align_scale_translation, procrustes_align,
                                               root_relative)


def _clouds(num_samples=4, num_points=21, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(num_samples, num_points, 3)) * 0.04 + [0.0, 0.0, 0.6]


def test_procrustes_recovers_a_similarity_transform():
    gt = _clouds()
    rotation = Rotation.random(len(gt), random_state=1).as_matrix()
    pred = 1.7 * gt @ np.swapaxes(rotation, 1, 2) + np.array([0.1, -0.2, 0.3])
    # Exact up to the official 1e-8 added to the norms: relative error ~ 2e-8 / ||pred_c||.
    np.testing.assert_allclose(procrustes_align(gt, pred), gt, atol=1e-7)


def test_procrustes_allows_reflections_like_scipy():
    gt = _clouds()
    mirrored = gt * np.array([-1.0, 1.0, 1.0])  # no proper rotation maps this onto gt
    np.testing.assert_allclose(procrustes_align(gt, mirrored), gt, atol=1e-7)


def test_procrustes_matches_the_official_formula_per_sample():
    gt, pred = _clouds(seed=2), _clouds(seed=3)
    batched = procrustes_align(gt, pred)
    for gt_i, pred_i, ours in zip(gt, pred, batched):
        gt_c, pred_c = gt_i - gt_i.mean(0), pred_i - pred_i.mean(0)
        gt_norm = np.linalg.norm(gt_c) + 1e-8
        pred_n = pred_c / (np.linalg.norm(pred_c) + 1e-8)
        rotation, scale = orthogonal_procrustes(gt_c / gt_norm, pred_n)
        expected = pred_n @ rotation.T * scale * gt_norm + gt_i.mean(0)
        np.testing.assert_allclose(ours, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(procrustes_align(gt[0], pred[0]), batched[0], atol=1e-15)


def test_procrustes_rejects_shape_mismatch():
    with pytest.raises(ValueError, match='same shape'):
        procrustes_align(np.zeros((2, 21, 3)), np.zeros((2, 20, 3)))


def test_scale_translation_alignment_hand_computed():
    gt = np.zeros((1, 21, 3))
    gt[0, 0] = [0.0, 0.0, 0.5]   # wrist
    gt[0, 9] = [0.0, 0.1, 0.5]   # middle MCP: GT length 0.1
    pred = np.zeros((1, 21, 3))
    pred[0, 0] = [1.0, 1.0, 1.0]
    pred[0, 9] = [1.0, 1.2, 1.0]  # predicted length 0.2 -> halved
    pred[0, 5] = [1.4, 1.0, 1.0]
    aligned = align_scale_translation(gt, pred)
    np.testing.assert_allclose(aligned[0, 0], [0.0, 0.0, 0.5], atol=1e-12)
    np.testing.assert_allclose(aligned[0, 9], [0.0, 0.1, 0.5], atol=1e-12)
    np.testing.assert_allclose(aligned[0, 5], [0.2, 0.0, 0.5], atol=1e-12)
    # the joint at the origin is scaled to (-0.5, -0.5, -0.5), then moved like the root
    np.testing.assert_allclose(aligned[0, 1], [-0.5, -0.5, 0.0], atol=1e-12)


def test_scale_translation_alignment_of_a_collapsed_prediction():
    # official align_sc_tr: no division when the predicted length is 0, the root still moves
    gt = _clouds(num_samples=1)
    aligned = align_scale_translation(gt, np.zeros_like(gt))
    np.testing.assert_allclose(aligned, np.broadcast_to(gt[:, :1], gt.shape), atol=1e-15)


def test_scale_translation_uses_the_given_joints():
    gt, pred = _clouds(seed=4), _clouds(seed=5)
    aligned = align_scale_translation(gt, pred, scale_joints=(0, 4))
    np.testing.assert_allclose(np.linalg.norm(aligned[:, 4] - aligned[:, 0], axis=-1),
                               np.linalg.norm(gt[:, 4] - gt[:, 0], axis=-1), rtol=1e-12)


def test_root_relative():
    points = np.arange(12.0).reshape(1, 4, 3)
    np.testing.assert_array_equal(root_relative(points, points[:, 0]),
                                  points - points[:, :1])

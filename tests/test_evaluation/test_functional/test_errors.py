import numpy as np
import pytest

from diffhand_mm.evaluation.functional import (f_scores, mean_point_error, pck_auc,
                                               point_errors)


def test_point_errors_and_freihand_mean():
    gt = np.zeros((2, 2, 3))
    pred = np.zeros((2, 2, 3))
    pred[0, 0] = [0.003, 0.004, 0.0]  # 5 mm
    pred[1, 1] = [0.0, 0.006, 0.008]  # 10 mm
    errors = point_errors(gt, pred)
    np.testing.assert_allclose(errors, [[0.005, 0.0], [0.0, 0.010]], atol=1e-15)
    # per-point means over samples (2.5 mm, 5 mm), then over points
    assert mean_point_error(errors) == pytest.approx(0.00375, abs=1e-15)


def test_auc_perfect_and_hopeless():
    assert pck_auc(np.zeros((3, 21))) == pytest.approx(1.0, abs=1e-12)
    assert pck_auc(np.full((3, 21), 1.0)) == 0.0


def test_auc_hand_computed_step_curves():
    # thresholds i * 0.05 / 99: an error of 25 mm is within thresholds i >= 50, the trapezoid
    # integral is 49.5 steps of the 99-step range
    assert pck_auc(np.full((2, 3), 0.025)) == pytest.approx(0.5, abs=1e-12)
    # PCK counts error <= threshold: an error of exactly 50 mm counts at the last threshold
    assert pck_auc(np.full((1, 1), 0.05)) == pytest.approx(0.5 / 99, abs=1e-12)
    # mean over points of each point's AUC
    assert pck_auc(np.array([[0.0, 1.0]])) == pytest.approx(0.5, abs=1e-12)


def test_f_score_hand_made():
    gt = np.array([[[0, 0, 0], [1, 0, 0], [2, 0, 0], [3, 0, 0]]], dtype=float)
    pred = np.array([[[0, 0, 0.004], [1, 0, 0.004], [2, 0, 0.010], [10, 0, 0],
                      [0, 0, 0.001]]])
    # 5 mm: 2 of 4 GT points matched (P = 0.5), 3 of 5 predicted points matched (R = 0.6)
    # 15 mm: P = 3/4, R = 4/5
    scores = f_scores(gt, pred, (0.005, 0.015))
    np.testing.assert_allclose(scores, [[2 * 0.5 * 0.6 / 1.1, 2 * 0.75 * 0.8 / 1.55]],
                               atol=1e-12)


def test_f_score_is_strict_and_zero_when_nothing_matches():
    gt = np.zeros((1, 1, 3))
    pred = np.array([[[0.0, 0.0, 0.005]]])
    np.testing.assert_array_equal(f_scores(gt, pred, (0.005, 0.0051)), [[0.0, 1.0]])


def test_f_score_sample_count_mismatch():
    with pytest.raises(ValueError, match='2 ground-truth samples but 1'):
        f_scores(np.zeros((2, 4, 3)), np.zeros((1, 4, 3)))


def test_f_score_threshold_is_strict_in_both_directions():
    gt = np.array([[[0, 0, 0], [1, 0, 0]]], dtype=float)
    pred = np.array([[[0, 0, 0.005], [1, 0, 0], [1, 0, 0.001]]])
    # GT -> pred: 5 mm (not counted), 0 -> P = 1/2; pred -> GT: 5 mm, 0, 1 mm -> R = 2/3
    np.testing.assert_allclose(f_scores(gt, pred, (0.005,)), [[4 / 7]], atol=1e-12)
    np.testing.assert_allclose(f_scores(pred, gt, (0.005,)), [[4 / 7]], atol=1e-12)

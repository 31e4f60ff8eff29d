import numpy as np
import pytest

from diffhand_mm.evaluation.functional import compute_hand_report


def _grid(num_samples, num_points):
    """Points 50 mm apart, so a 10 mm offset keeps each point's nearest neighbour."""
    index = np.arange(num_points)
    grid = np.stack([index % 5, (index // 5) % 5, index // 25], axis=-1) * 0.05
    return np.broadcast_to(grid + [0.0, 0.0, 0.5], (num_samples, num_points, 3)).copy()


OFFSET = np.array([0.0, 0.006, 0.008])  # 10 mm


def test_perfect_predictions():
    joints, vertices = _grid(2, 21), _grid(2, 50)
    report = compute_hand_report(joints, joints.copy(), vertices, vertices.copy())
    assert set(report) == {'MPJPE', 'PA-MPJPE', 'AUC-J', 'PA-AUC-J', 'MPVPE', 'PA-MPVPE',
                           'F@5', 'F@15', 'PA-F@5', 'PA-F@15'}
    for key in ('MPJPE', 'MPVPE'):
        assert report[key] == 0.0
    for key in ('PA-MPJPE', 'PA-MPVPE'):  # not 0: the official 1e-8 added to the norms
        assert report[key] < 1e-4
    for key in ('AUC-J', 'F@5', 'F@15', 'PA-F@5', 'PA-F@15'):
        assert report[key] == pytest.approx(1.0, abs=1e-12)
    # the aligned errors are ~1e-9 m, not 0, so they miss the 0 threshold (as officially)
    assert report['PA-AUC-J'] == pytest.approx(1.0 - 0.5 / 99, abs=1e-12)


def test_constant_offset_in_millimetres():
    joints, vertices = _grid(3, 21), _grid(3, 50)
    report = compute_hand_report(joints, joints + OFFSET, vertices, vertices + OFFSET)
    assert report['MPJPE'] == pytest.approx(10.0, abs=1e-9)
    assert report['MPVPE'] == pytest.approx(10.0, abs=1e-9)
    assert report['PA-MPJPE'] < 1e-5 and report['PA-MPVPE'] < 1e-5
    assert report['F@5'] == 0.0 and report['F@15'] == 1.0
    assert report['PA-F@5'] == 1.0
    # PCK is 1 from the 10 mm threshold on: i * 0.05 / 99 >= 0.01 from i = 20 (19.8)
    assert report['AUC-J'] == pytest.approx((99 - 20 + 0.5) / 99, abs=1e-12)


def test_f_scores_are_averaged_over_samples():
    vertices = _grid(2, 50)
    pred = vertices.copy()
    pred[1] += OFFSET
    report = compute_hand_report(_grid(2, 21), _grid(2, 21), vertices, pred)
    assert report['F@5'] == pytest.approx(0.5) and report['F@15'] == pytest.approx(1.0)


def test_dexycb_is_root_relative():
    joints, vertices = _grid(2, 21), _grid(2, 50)
    report = compute_hand_report(joints, joints + OFFSET, vertices, vertices + OFFSET,
                                 mode='dexycb')
    assert report['ABS-MPJPE'] == pytest.approx(10.0, abs=1e-9)
    assert report['MPJPE'] == pytest.approx(0.0, abs=1e-12)
    assert report['MPVPE'] == pytest.approx(0.0, abs=1e-12)


def test_ho3d_scale_translation_undoes_scale_and_shift():
    joints = _grid(2, 21)
    pred = 2.0 * (joints - joints[:, :1]) + joints[:, :1] + OFFSET
    report = compute_hand_report(joints, pred, mode='ho3d')
    assert report['ST-MPJPE'] == pytest.approx(0.0, abs=1e-9)
    assert report['MPJPE'] > 10.0
    assert 'MPVPE' not in report


def test_bad_inputs():
    joints = _grid(2, 21)
    with pytest.raises(ValueError, match='mode'):
        compute_hand_report(joints, joints, mode='coco')
    with pytest.raises(ValueError, match='expected 2 samples, got 1'):
        compute_hand_report(joints, joints[:1])
    bad = joints.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match='predicted joints: contains NaN'):
        compute_hand_report(joints, bad)
    with pytest.raises(ValueError, match='without predicted vertices'):
        compute_hand_report(joints, joints, _grid(2, 50))
    with pytest.raises(ValueError, match='vertices'):
        compute_hand_report(joints, joints, _grid(2, 50), _grid(2, 40))

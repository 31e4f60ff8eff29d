import json
import pickle

import numpy as np
import pytest

from diffhand_mm.evaluation.functional import compute_hand_report
from tools.eval_submission import main

KEYS = {'MPJPE', 'PA-MPJPE', 'MPVPE', 'PA-MPVPE', 'F@5', 'F@15', 'PA-F@5', 'PA-F@15', 'AUC-J',
        'PA-AUC-J'}


def _write_freihand_gt(gt_dir, num_samples=3, seed=0):
    rng = np.random.default_rng(seed)
    joints = rng.normal(size=(num_samples, 21, 3)) * 0.03 + [0.0, 0.0, 0.6]
    vertices = rng.normal(size=(num_samples, 778, 3)) * 0.03 + [0.0, 0.0, 0.6]
    gt_dir.mkdir(exist_ok=True)
    (gt_dir / 'evaluation_xyz.json').write_text(json.dumps(joints.tolist()))
    (gt_dir / 'evaluation_verts.json').write_text(json.dumps(vertices.tolist()))
    return joints, vertices


def test_freihand_end_to_end(tmp_path, capsys):
    joints, vertices = _write_freihand_gt(tmp_path / 'gt')
    offset = np.array([0.0, 0.006, 0.008])  # 10 mm
    pred_joints = joints + offset
    pred_vertices = vertices + np.random.default_rng(1).normal(size=vertices.shape) * 0.005
    pred_file = tmp_path / 'pred.json'
    pred_file.write_text(json.dumps([pred_joints.tolist(), pred_vertices.tolist()]))
    out_file = tmp_path / 'scores.json'
    main(['freihand', '--gt', str(tmp_path / 'gt'), '--pred', str(pred_file),
          '--out', str(out_file)])
    scores = json.loads(out_file.read_text())
    assert set(scores) == KEYS
    assert scores['MPJPE'] == pytest.approx(10.0, abs=1e-9)
    assert scores['PA-MPJPE'] < 1e-4
    expected = compute_hand_report(joints, pred_joints, vertices, pred_vertices)
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, abs=1e-12)
    assert 'PA-MPVPE' in capsys.readouterr().out


def test_ho3d_end_to_end_equals_freihand_scoring_in_our_convention(tmp_path):
    joints, vertices = _write_freihand_gt(tmp_path / 'fh')
    from diffhand_mm.evaluation.submission import HO3D_FROM_OPENPOSE, OPENGL_FLIP
    gt_dir = tmp_path / 'ho3d'
    gt_dir.mkdir()
    (gt_dir / 'evaluation_xyz.json').write_text(
        json.dumps((joints[:, HO3D_FROM_OPENPOSE] * OPENGL_FLIP).tolist()))
    (gt_dir / 'evaluation_verts.json').write_text(json.dumps((vertices * OPENGL_FLIP).tolist()))
    pred_joints = 1.1 * joints + 0.01
    pred_file = tmp_path / 'pred.json'
    pred_file.write_text(json.dumps([(pred_joints[:, HO3D_FROM_OPENPOSE] * OPENGL_FLIP).tolist(),
                                     (vertices * OPENGL_FLIP).tolist()]))
    scores = main(['ho3d', '--gt', str(gt_dir), '--pred', str(pred_file)])
    expected = compute_hand_report(joints, pred_joints, vertices, vertices, mode='ho3d')
    for key, value in expected.items():
        assert scores[key] == pytest.approx(value, abs=1e-9)
    assert scores['ST-MPJPE'] == pytest.approx(0.0, abs=1e-9)


def test_dexycb_end_to_end(tmp_path):
    gt_joints = {i: np.random.default_rng(i).normal(size=(21, 3)) * 30 + 600 for i in (0, 4)}
    with open(tmp_path / 'anno_hpe_s0_test.pkl', 'wb') as f:
        pickle.dump({'joint_3d': gt_joints}, f)
    res_file = tmp_path / 'res.txt'
    pred = {**{i: gt_joints[i] + [0, 6, 8] for i in gt_joints}, 9: np.zeros((21, 3))}
    lines = [','.join([str(i)] + [repr(v) for v in pred[i].ravel()])
             for i in (4, 0, 9)]  # any order; an extra id is ignored as by the toolkit
    res_file.write_text('\n'.join(lines) + '\n')
    scores = main(['dexycb', '--gt', str(tmp_path), '--pred', str(res_file)])
    assert scores['ABS-MPJPE'] == pytest.approx(10.0, abs=1e-9)
    assert scores['MPJPE'] == pytest.approx(0.0, abs=1e-9)
    res_file.write_text(lines[0] + '\n')
    with pytest.raises(ValueError, match=r'res.txt: 1 image ids of the ground truth are '
                                         r'missing, e.g. \[0\]'):
        main(['dexycb', '--gt', str(tmp_path), '--pred', str(res_file)])


def test_bad_inputs_name_the_file(tmp_path):
    joints, vertices = _write_freihand_gt(tmp_path / 'gt')
    pred_file = tmp_path / 'pred.json'
    pred_file.write_text(json.dumps([joints[:2].tolist(), vertices[:2].tolist()]))
    with pytest.raises(ValueError, match='pred.json: 2 samples, but the ground truth'):
        main(['freihand', '--gt', str(tmp_path / 'gt'), '--pred', str(pred_file)])
    with pytest.raises(FileNotFoundError, match='missing.json: file not found'):
        main(['freihand', '--gt', str(tmp_path / 'gt'), '--pred', str(tmp_path / 'missing.json')])
    bad_joints = joints.tolist()
    bad_joints[2] = bad_joints[2][:20]
    pred_file.write_text(json.dumps([bad_joints, vertices.tolist()]))
    with pytest.raises(ValueError, match=r'prediction joints of sample 2 has shape \(20, 3\)'):
        main(['freihand', '--gt', str(tmp_path / 'gt'), '--pred', str(pred_file)])

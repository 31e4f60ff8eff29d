import json
import pickle

import numpy as np
import pytest

from diffhand_mm.evaluation.submission import (
    read_dexycb_ground_truth, read_dexycb_results, read_freihand_ground_truth,
    read_freihand_pair, read_ho3d_submission, write_dexycb_results, write_freihand_submission,
    write_ho3d_submission)


def _predictions(num_samples=2, seed=0):
    """Hand-sized point clouds (a few cm), in metres: the readers check the units."""
    rng = np.random.default_rng(seed)
    return (0.03 * rng.normal(size=(num_samples, 21, 3)),
            0.03 * rng.normal(size=(num_samples, 778, 3)))


def test_freihand_round_trip(tmp_path):
    joints, vertices = _predictions()
    write_freihand_submission(str(tmp_path / 'pred.json'), joints, vertices)
    read_joints, read_vertices = read_freihand_pair(str(tmp_path / 'pred.json'))
    np.testing.assert_array_equal(read_joints, joints)
    np.testing.assert_array_equal(read_vertices, vertices)


def test_ho3d_file_is_opengl_in_ho3d_order_and_reads_back(tmp_path):
    joints, vertices = _predictions()
    out_file = str(tmp_path / 'pred.json')
    write_ho3d_submission(out_file, joints, vertices)
    stored_joints, stored_vertices = (np.array(x) for x in json.load(open(out_file)))
    flip = np.array([1.0, -1.0, -1.0])
    # HO-3D order: 1 = index MCP (OpenPose 5), 13 = thumb 1 (OpenPose 1), 20 = pinky tip
    for ho3d_index, openpose_index in ((0, 0), (1, 5), (4, 9), (7, 17), (10, 13), (13, 1),
                                       (16, 4), (17, 8), (20, 20)):
        np.testing.assert_array_equal(stored_joints[:, ho3d_index],
                                      joints[:, openpose_index] * flip)
    np.testing.assert_array_equal(stored_vertices, vertices * flip)
    read_joints, read_vertices = read_ho3d_submission(out_file)
    np.testing.assert_array_equal(read_joints, joints)
    np.testing.assert_array_equal(read_vertices, vertices)


def test_dexycb_round_trip_in_millimetres(tmp_path):
    joints, _ = _predictions()
    out_file = str(tmp_path / 'res.txt')
    write_dexycb_results(out_file, [7, 3], joints)
    first = open(out_file).readline().split(',')
    assert len(first) == 64 and first[0] == '7'
    assert float(first[1]) == pytest.approx(joints[0, 0, 0] * 1000, rel=1e-15)
    results = read_dexycb_results(out_file)
    np.testing.assert_allclose(results[3], joints[1], rtol=1e-15)


def test_dexycb_ground_truth_pickle(tmp_path):
    joints_mm = np.random.default_rng(0).normal(500.0, 30.0, (21, 3)).astype(np.float32)
    with open(tmp_path / 'anno_hpe_s0_test.pkl', 'wb') as f:
        pickle.dump({'joint_3d': {4: joints_mm}}, f)
    annotations = read_dexycb_ground_truth(str(tmp_path))
    np.testing.assert_allclose(annotations[4], joints_mm / 1000.0, rtol=1e-6)


def test_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='evaluation_xyz.json: file not found'):
        read_freihand_ground_truth(str(tmp_path))
    bad = tmp_path / 'pred.json'
    joints, vertices = _predictions()
    bad.write_text(json.dumps([joints.tolist(), vertices[:1].tolist()]))
    with pytest.raises(ValueError, match='pred.json.*2 prediction joint sets but 1'):
        read_freihand_pair(str(bad))
    ragged = vertices.tolist()
    ragged[1] = ragged[1][:700]
    bad.write_text(json.dumps([joints.tolist(), ragged]))
    with pytest.raises(ValueError, match=r'pred.json: prediction vertices of sample 1 has '
                                         r'shape \(700, 3\), expected \(778, 3\)'):
        read_freihand_pair(str(bad))
    bad.write_text('{"xyz": []}')
    with pytest.raises(ValueError, match=r'pred.json: expected a JSON list \[xyz_list'):
        read_freihand_pair(str(bad))
    text = tmp_path / 'res.txt'
    text.write_text('1,2,3\n')
    with pytest.raises(ValueError, match='res.txt:1: expected 64 comma-separated values'):
        read_dexycb_results(str(text))


def test_predictions_in_the_wrong_unit_are_refused(tmp_path):
    joints, vertices = _predictions(num_samples=3)
    pred = tmp_path / 'pred.json'
    pred.write_text(json.dumps([(joints * 1000).tolist(), (vertices * 1000).tolist()]))
    with pytest.raises(ValueError, match=r'pred.json: prediction joints: the median hand spans '
                       r'[\d.]+ \(expected 0.02-1 in metres\): these look like millimetres'):
        read_freihand_pair(str(pred))
    pred.write_text(json.dumps([(joints * 100).tolist(), (vertices * 100).tolist()]))
    with pytest.raises(ValueError, match='these look like centimetres'):
        read_freihand_pair(str(pred))
    # one wild prediction among plausible ones is a bad prediction, not a unit problem
    joints[0] *= 1000
    pred.write_text(json.dumps([joints.tolist(), vertices.tolist()]))
    read_freihand_pair(str(pred))
    # DexYCB stores millimetres: a file written in metres is caught too
    results = tmp_path / 'res.txt'
    write_dexycb_results(str(results), [0, 1, 2], _predictions(3)[0] / 1000)
    with pytest.raises(ValueError, match=r'res.txt: joints: .*in millimetres\): these look '
                       'like metres'):
        read_dexycb_results(str(results))

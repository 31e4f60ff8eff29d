import json

import numpy as np
import pytest
import torch

from diffhand_mm.evaluation import MeshMetric
from diffhand_mm.registry import METRICS

OFFSET = torch.tensor([0.0, 0.006, 0.008])  # 10 mm


def _grid(num_points):
    index = torch.arange(num_points)
    grid = torch.stack([index % 10, (index // 10) % 10, index // 100], dim=-1) * 0.05
    return grid.float() + torch.tensor([0.0, 0.0, 0.5])


def _sample(sample_id, offset=OFFSET, has_vertices=1.0):
    """A data sample as MMEngine's evaluator hands it over (PoseDataSample.to_dict())."""
    joints, vertices = _grid(21) + 0.001 * sample_id, _grid(778) + 0.001 * sample_id
    return {
        'sample_id': sample_id,
        'gt_instances': {'joints_3d': joints[None], 'vertices': vertices[None],
                         'has_vertices': torch.tensor([has_vertices])},
        'pred_instances': {'joints_3d': (joints + offset)[None],
                           'vertices': (vertices + offset)[None]},
    }


def _run(metric, samples, batch_size=2):
    for start in range(0, len(samples), batch_size):
        metric.process({}, samples[start:start + batch_size])
    return metric.evaluate(len(samples))


def test_registered_and_reports_millimetres_with_the_mode_prefix():
    metric = METRICS.build(dict(type='MeshMetric'))
    scores = _run(metric, [_sample(i) for i in range(3)])
    assert scores['freihand/MPJPE'] == pytest.approx(10.0, abs=1e-4)
    assert scores['freihand/MPVPE'] == pytest.approx(10.0, abs=1e-4)
    assert scores['freihand/PA-MPVPE'] < 1e-3
    assert scores['freihand/F@5'] == 0.0 and scores['freihand/F@15'] == 1.0
    assert scores['freihand/PA-F@5'] == 1.0
    assert metric.results == []  # cleared for the next evaluation


def test_results_are_per_sample_and_shards_concatenate():
    samples = [_sample(i, offset=OFFSET * (i % 3)) for i in range(6)]
    whole, shard_a, shard_b = MeshMetric(), MeshMetric(), MeshMetric()
    for sample in samples:
        whole.process({}, [sample])
    shard_a.process({}, samples[0::2])  # what two ranks would hold
    shard_b.process({}, samples[1::2])
    assert len(whole.results) == 6 and len(shard_a.results) == 3
    gathered = [shard_a.results[0], shard_b.results[0], shard_a.results[1],
                shard_b.results[1], shard_a.results[2], shard_b.results[2]]
    assert whole.compute_metrics(whole.results) == whole.compute_metrics(gathered)
    reordered = shard_a.results + shard_b.results  # metrics do not depend on the order
    for key, value in whole.compute_metrics(whole.results).items():
        assert whole.compute_metrics(reordered)[key] == pytest.approx(value, abs=1e-9)


def test_skip_vertices_scores_joints_only():
    metric = MeshMetric(skip_vertices=True, prefix='')
    scores = _run(metric, [_sample(i, has_vertices=0.0) for i in range(2)])
    assert set(scores) == {'MPJPE', 'PA-MPJPE', 'AUC-J', 'PA-AUC-J'}


def test_missing_vertex_ground_truth_is_an_error():
    with pytest.raises(ValueError, match='sample 7 has no vertex ground truth'):
        MeshMetric().process({}, [_sample(7, has_vertices=0.0)])


def test_unknown_ground_truth_joints_are_an_error_not_a_nan_score():
    sample = _sample(3)
    sample['gt_instances']['joints_3d'][0, 1:] = float('nan')  # only the root known (HO-3D eval)
    with pytest.raises(ValueError, match='sample 3 has unknown .* format_only=True'):
        MeshMetric(mode='ho3d').process({}, [sample])


def test_dexycb_and_ho3d_modes():
    scores = _run(MeshMetric(mode='dexycb', prefix=''), [_sample(i) for i in range(2)])
    assert scores['MPJPE'] == pytest.approx(0.0, abs=1e-6)
    assert scores['ABS-MPJPE'] == pytest.approx(10.0, abs=1e-4)
    scores = _run(MeshMetric(mode='ho3d', prefix=''), [_sample(i) for i in range(2)])
    assert scores['ST-MPJPE'] == pytest.approx(0.0, abs=1e-4)


def test_freihand_submission_is_ordered_by_sample_id(tmp_path):
    out_file = str(tmp_path / 'pred.json')
    metric = MeshMetric(submission=dict(format='freihand', out_file=out_file))
    _run(metric, [_sample(i) for i in (2, 0, 1)])
    joints, vertices = json.load(open(out_file))
    assert len(joints) == 3 and np.shape(vertices) == (3, 778, 3)
    for i in range(3):
        np.testing.assert_allclose(joints[i], (_grid(21) + 0.001 * i + OFFSET).numpy(),
                                   atol=1e-7)


def test_ho3d_submission_only(tmp_path):
    out_file = str(tmp_path / 'pred.json')
    metric = MeshMetric(mode='ho3d', submission=dict(format='ho3d', out_file=out_file),
                        format_only=True)
    samples = [_sample(i) for i in range(2)]
    for sample in samples:
        del sample['gt_instances']  # hidden labels: nothing of the ground truth is read
    assert _run(metric, samples) == {}
    joints, _ = json.load(open(out_file))
    expected = (_grid(21) + OFFSET).numpy()
    np.testing.assert_allclose(joints[0][16], expected[4] * [1, -1, -1], atol=1e-7)  # thumb tip


def test_dexycb_results_text(tmp_path):
    out_file = tmp_path / 'res.txt'
    metric = MeshMetric(mode='dexycb', skip_vertices=True,
                        submission=dict(format='dexycb', out_file=str(out_file)))
    _run(metric, [_sample(i) for i in (11, 5)])
    lines = out_file.read_text().splitlines()
    assert [line.split(',')[0] for line in lines] == ['5', '11']
    values = np.array(lines[0].split(',')[1:], dtype=float).reshape(21, 3)
    np.testing.assert_allclose(values, (_grid(21) + 0.005 + OFFSET).numpy() * 1000, atol=1e-4)


def test_bad_submission_requests(tmp_path):
    with pytest.raises(ValueError, match='submission must be'):
        MeshMetric(submission=dict(format='coco', out_file='x'))
    with pytest.raises(ValueError, match='format_only'):
        MeshMetric(format_only=True)
    metric = MeshMetric(submission=dict(format='freihand', out_file=str(tmp_path / 'p.json')))
    with pytest.raises(ValueError, match='sample_id must be 0 .. N-1'):
        _run(metric, [_sample(i) for i in (1, 2)])


def test_through_mmengine_evaluator_with_pose_data_samples():
    from mmengine.evaluator import Evaluator
    from mmengine.structures import InstanceData
    from mmpose.structures import PoseDataSample

    samples = []
    for sample_id in range(2):
        fields = _sample(sample_id)
        sample = PoseDataSample(metainfo=dict(sample_id=sample_id))
        sample.gt_instances = InstanceData(**fields['gt_instances'])
        sample.pred_instances = InstanceData(**fields['pred_instances'])
        samples.append(sample)
    evaluator = Evaluator(MeshMetric(prefix='fh'))
    evaluator.process(samples)
    scores = evaluator.evaluate(len(samples))
    assert scores['fh/MPJPE'] == pytest.approx(10.0, abs=1e-4)


def test_roughness_with_the_hand_models_faces():
    from diffhand_mm.hand import OpenHandModel
    hand = OpenHandModel()
    template = hand.v_template.float()
    generator = torch.Generator().manual_seed(0)

    def sample(sample_id, scatter):
        noise = torch.randn(template.shape, generator=generator) * scatter
        return {'sample_id': sample_id,
                'gt_instances': {'joints_3d': _grid(21)[None], 'vertices': template[None],
                                 'has_vertices': torch.tensor([1.0])},
                'pred_instances': {'joints_3d': _grid(21)[None],
                                   'vertices': (2 * template + 0.1 + noise)[None]}}

    # a similar copy of the ground truth is not rough at all; a scattered one is
    assert _run(MeshMetric(hand_model=hand), [sample(0, 0.0)])['freihand/roughness'] < 1e-3
    rough = _run(MeshMetric(hand_model=dict(type='OpenHandModel')), [sample(1, 0.002)])
    assert rough['freihand/roughness'] > 10.0
    assert 'freihand/roughness' not in _run(MeshMetric(), [sample(2, 0.002)])

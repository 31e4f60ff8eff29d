"""MMPose's own keypoint metrics score our samples: the packed ground truth and the predictions
carry MMPose's fields, in the original image, through crops, rotations and flips."""
import numpy as np
import pytest
import torch
from mmengine.evaluator import Evaluator
from mmengine.structures import InstanceData

from diffhand_mm.models.estimators import to_original_image
from diffhand_mm.registry import DATASETS

import diffhand_mm.datasets  # noqa: F401
import diffhand_mm.synth  # noqa: F401

PIPELINES = {
    'rotate+crop': [dict(type='HandRandomRotate', max_angle_deg=45.0, prob=1.0),
                    dict(type='HandCrop', input_size=(64, 64), padding=1.3)],
    'flip+crop': [dict(type='HandRandomFlip', prob=1.0),
                  dict(type='HandCrop', input_size=(64, 64), padding=1.3, shift_jitter=0.1)],
}


def _packed(pipeline):
    dataset = DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=3, seed=2,
                                  pipeline=[*pipeline, dict(type='PackHandInputs')]))
    return dataset, [dataset[i]['data_samples'] for i in range(3)]


def _predict(sample, pixel_noise=0.0):
    """A prediction equal to the ground truth (in the input crop's frame), moved in 2D."""
    gt = sample.gt_instances
    instance = InstanceData(vertices=gt.vertices.clone(), joints_3d=gt.joints_3d.clone(),
                            joints_2d=gt.joints_2d.clone() + pixel_noise)
    if pixel_noise and sample.metainfo['flipped']:
        instance.joints_3d[..., :2] += 0.01 * pixel_noise  # flipped: 2D comes from 3D
    sample.pred_instances = to_original_image(instance, sample.metainfo, gt.bboxes)
    return sample


@pytest.mark.parametrize('name', list(PIPELINES))
def test_packed_keypoints_and_box_are_those_of_the_original_image(name):
    dataset, samples = _packed(PIPELINES[name])
    for index, sample in enumerate(samples):
        info = dataset.get_data_info(index)
        uvw = info['joints_3d'].astype(np.float64) @ info['K'].T
        expected = uvw[:, :2] / uvw[:, 2:]
        gt = sample.gt_instances
        assert gt.keypoints.dtype == np.float32 and gt.keypoints.shape == (1, 21, 2)
        np.testing.assert_allclose(gt.keypoints[0], expected, atol=1e-2)
        np.testing.assert_allclose(gt.bboxes[0], info['bbox'], atol=1e-4)
        assert gt.keypoints_visible.shape == (1, 21) and gt.keypoints_visible.all()


@pytest.mark.parametrize('name', list(PIPELINES))
def test_mmpose_pck_auc_and_epe_score_our_predictions(name):
    from mmpose.evaluation.metrics import AUC, EPE, PCKAccuracy
    _, samples = _packed(PIPELINES[name])

    def score(pixel_noise):
        evaluator = Evaluator([PCKAccuracy(thr=0.05), AUC(), EPE()])
        evaluator.process([_predict(s, pixel_noise) for s in samples])
        return evaluator.evaluate(len(samples))

    exact = score(0.0)
    assert exact['PCK'] == pytest.approx(1.0) and exact['AUC'] > 0.95
    assert exact['EPE'] < 0.05  # pixels: the prediction's keypoints land on the ground truth
    moved = score(8.0)
    assert moved['PCK'] < 0.5 and moved['EPE'] > 5.0


def test_prediction_fields_follow_mmpose():
    _, samples = _packed(PIPELINES['rotate+crop'])
    pred = _predict(samples[0]).pred_instances
    assert pred.keypoints.shape == (1, 21, 2) and pred.keypoint_scores.shape == (1, 21)
    assert pred.bboxes.shape == (1, 4) and pred.bbox_scores.shape == (1,)
    np.testing.assert_array_equal(pred.bboxes, samples[0].gt_instances.bboxes)
    # without an input box: the box of the predicted keypoints
    instance = InstanceData(vertices=torch.zeros(1, 5, 3), joints_3d=torch.zeros(1, 21, 3),
                            joints_2d=torch.arange(42.0).reshape(1, 21, 2))
    box = to_original_image(instance, {}).bboxes
    np.testing.assert_array_equal(box, [[0.0, 1.0, 40.0, 41.0]])

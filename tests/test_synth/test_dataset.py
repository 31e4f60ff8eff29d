"""The on-the-fly SynthHand dataset."""
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from diffhand_mm.registry import DATASETS
from diffhand_mm.synth import SynthHandGenerator


@pytest.fixture(scope='module')
def dataset():
    return DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=5, seed=4,
                               lazy_init=True))


def test_samples_follow_the_dataset_contract(dataset):
    assert len(dataset) == 5
    info = dataset.get_data_info(3)
    assert info['img'].shape == (224, 224, 3) and info['img'].dtype == np.uint8
    assert info['K'].shape == (3, 3) and info['joints_3d'].shape == (21, 3)
    assert info['vertices_3d'].shape == (778, 3) and info['bbox'].shape == (4,)
    assert info['hand_side'] == 'right' and info['sample_id'] == 3
    assert info['dataset_name'] == 'synthhand' and isinstance(info['img_path'], str)
    # The box holds every projected vertex (it is their box grown by bbox_margin).
    uv = info['vertices_3d'] @ info['K'].T
    uv = uv[:, :2] / uv[:, 2:]
    x1, y1, x2, y2 = info['bbox']
    assert (uv[:, 0] >= x1).all() and (uv[:, 0] <= x2).all()
    assert (uv[:, 1] >= y1).all() and (uv[:, 1] <= y2).all()
    # Depth is set exactly where the hand is visible (and on occluders), 0 elsewhere.
    assert (info['depth'][info['mask']] > 0).all()


def test_samples_are_deterministic_per_index_and_match_the_generator(dataset):
    later = dataset.get_data_info(2)
    first = dataset.get_data_info(0)
    again = DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=5, seed=4))
    np.testing.assert_array_equal(again.get_data_info(2)['img'], later['img'])
    np.testing.assert_array_equal(again.get_data_info(0)['joints_3d'], first['joints_3d'])
    direct = SynthHandGenerator(seed=4).sample(2, 'training')
    np.testing.assert_array_equal(direct.image, later['img'])
    other_seed = DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=5, seed=5))
    assert not np.array_equal(other_seed.get_data_info(2)['joints_3d'], later['joints_3d'])


def test_bad_split_is_rejected():
    with pytest.raises(ValueError, match='split'):
        DATASETS.build(dict(type='SynthHandOnlineDataset', split='val'))


def test_project_pipeline_runs_without_loading_images():
    init_default_scope('diffhand_mm')  # what a config's default_scope does
    dataset = DATASETS.build(dict(
        type='SynthHandOnlineDataset', num_samples=2, seed=4,
        pipeline=[dict(type='HandCrop', input_size=(64, 64), padding=1.3),
                  dict(type='PackHandInputs')]))
    packed = dataset[1]
    assert tuple(packed['inputs'].shape) == (3, 64, 64)
    joints_2d = packed['data_samples'].gt_instances.joints_2d
    # The crop keeps the hand: its joints land inside the 64x64 network input.
    assert (joints_2d >= 0).all() and (joints_2d <= 63).all()

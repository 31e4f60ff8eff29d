import os
import os.path as osp

import numpy as np
import pytest

from tests.test_datasets.dataset_writers import FakeHandModel, write_dexycb
from diffhand_mm.datasets import DexYCBDataset, FlipLeftToRight
from diffhand_mm.datasets.dexycb import SERIALS, SUBJECTS

SPECIAL = {(0, 4, 0, 0): 'no_hand', (0, 4, 1, 0): 'out_of_view', ('left', 1, 4): True}


@pytest.fixture(scope='module')
def dex_root(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('dexycb'))
    labels = write_dexycb(root, sequences_per_subject=5, frames=1, special=SPECIAL)
    return root, labels


def test_s0_val_split_rule_and_filters(dex_root):
    root, labels = dex_root
    ds = DexYCBDataset(root, split='val', check_sequence_count=False)
    # val = subjects 0-1, sequences with index % 5 == 4, 8 cameras, 1 frame; 2 frames dropped
    assert len(ds) == 2 * 8 - 2
    infos = [ds.get_data_info(i) for i in range(len(ds))]
    assert all(f'{os.sep}2020_seq_04{os.sep}' in info['img_path'] for info in infos)
    assert {info['img_path'].split(os.sep)[-4] for info in infos} == set(SUBJECTS[:2])
    # sample ids index the toolkit's unfiltered split: the first two frames were dropped
    assert [info['sample_id'] for info in infos] == list(range(2, 16))
    first = infos[0]
    assert first['img_path'] == osp.join(root, SUBJECTS[0], '2020_seq_04', SERIALS[2],
                                         'color_000000.jpg')
    np.testing.assert_allclose(first['joints_3d'], labels[(0, 4, 2, 0)][0])
    np.testing.assert_allclose(first['K'], [[600, 0, 320], [0, 610, 240], [0, 0, 1]])
    assert first['vertices_3d'] is None and first['hand_side'] == 'right'
    assert [info['hand_side'] for info in infos[6:]] == ['left'] * 8


def test_s0_train_and_test_counts(dex_root):
    root, _ = dex_root
    train = DexYCBDataset(root, split='train', check_sequence_count=False)
    assert len(train) == 10 * 4 * 8  # sequences 0-3 of every subject
    test = DexYCBDataset(root, split='test', check_sequence_count=False)
    assert len(test) == 8 * 1 * 8
    assert {test.get_data_info(i)['img_path'].split(os.sep)[-4]
            for i in range(len(test))} == set(SUBJECTS[2:])


def test_official_sequence_count_is_checked(dex_root):
    root, _ = dex_root
    with pytest.raises(ValueError, match='expected 100 sequences'):
        DexYCBDataset(root, split='val')


def test_left_hand_flipped_by_transform(dex_root):
    root, labels = dex_root
    ds = DexYCBDataset(root, split='val', check_sequence_count=False)
    info = ds.get_data_info(6)
    assert info['hand_side'] == 'left'
    info['img'] = np.zeros((480, 640, 3), np.uint8)
    out = FlipLeftToRight().transform(info)
    assert out['hand_side'] == 'right' and out['flipped']
    np.testing.assert_allclose(out['joints_3d'], labels[(1, 4, 0, 0)][0] * [-1, 1, 1])


def test_meshes_from_pca_pose_through_hand_model(dex_root):
    root, labels = dex_root
    right, left = FakeHandModel('right'), FakeHandModel('left')
    ds = DexYCBDataset(root, split='val', check_sequence_count=False,
                       mano=dict(right=right, left=left))
    info = ds.get_data_info(0)
    pose_m = labels[(0, 4, 2, 0)][1]
    call = right.calls[-1]
    expected_fingers = right.pca_mean.numpy() + pose_m[3:48] @ right.pca_components.numpy()
    np.testing.assert_allclose(call['pose'][0, 3:].numpy(), expected_fingers, rtol=1e-4,
                               atol=1e-4)
    np.testing.assert_allclose(call['transl'][0].numpy(), pose_m[48:51], atol=1e-6)
    np.testing.assert_allclose(call['betas'][0].numpy(), [0.1 * i for i in range(10)],
                               atol=1e-6)
    assert info['vertices_3d'].shape == (778, 3)
    ds.get_data_info(6)
    assert len(left.calls) == 1  # the left hand went through the left model
    with pytest.raises(ValueError, match='no left hand model'):
        DexYCBDataset(root, split='val', check_sequence_count=False, mano=right)


def test_index_cache(dex_root, tmp_path):
    root, _ = dex_root
    first = DexYCBDataset(root, split='val', check_sequence_count=False,
                          cache_dir=str(tmp_path))
    files = os.listdir(tmp_path)
    assert len(files) == 1 and files[0].startswith('dexycb_s0_val_')
    second = DexYCBDataset(root, split='val', check_sequence_count=False,
                           cache_dir=str(tmp_path))
    np.testing.assert_array_equal(second.get_data_info(3)['joints_3d'],
                                  first.get_data_info(3)['joints_3d'])


def test_missing_label_file_is_named(tmp_path):
    root = str(tmp_path)
    write_dexycb(root, sequences_per_subject=5, frames=1)
    missing = osp.join(root, SUBJECTS[1], '2020_seq_04', SERIALS[3], 'labels_000000.npz')
    os.remove(missing)
    with pytest.raises(FileNotFoundError, match='labels_000000.npz'):
        DexYCBDataset(root, split='val', check_sequence_count=False)


def test_nan_label_is_named_not_dropped_as_out_of_view(tmp_path):
    root = str(tmp_path)
    write_dexycb(root, sequences_per_subject=5, frames=1)
    label = osp.join(root, SUBJECTS[1], '2020_seq_04', SERIALS[2], 'labels_000000.npz')
    with np.load(label) as stored:
        arrays = dict(stored)
    arrays['joint_3d'][0, 5, 2] = np.nan
    np.savez(label, **arrays)
    # val: subject 0 then 1, 8 cameras each: this frame is the split's sample 10
    with pytest.raises(ValueError, match=rf'DexYCB: {label}: sample 10: `joint_3d` holds NaN'):
        DexYCBDataset(root, split='val', check_sequence_count=False)


def test_missing_image_is_named_at_start(tmp_path):
    root = str(tmp_path)
    write_dexycb(root, sequences_per_subject=5, frames=1)
    image = osp.join(root, SUBJECTS[0], '2020_seq_04', SERIALS[5], 'color_000000.jpg')
    os.remove(image)
    with pytest.raises(FileNotFoundError, match=rf'DexYCB: the image of sample 5 not found: '
                                                rf'{image}'):
        DexYCBDataset(root, split='val', check_sequence_count=False)
    assert len(DexYCBDataset(root, split='val', check_sequence_count=False,
                             check_images='none')) == 16

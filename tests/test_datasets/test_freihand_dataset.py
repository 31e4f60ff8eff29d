import json
import os
import os.path as osp
import time

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from tests.test_datasets.dataset_writers import write_freihand
from diffhand_mm.datasets import FreiHANDDataset, LoadHandImage
from diffhand_mm.registry import DATASETS


def test_image_id_arithmetic_and_sample_content(tmp_path):
    labels = write_freihand(str(tmp_path), num=3, versions=2)
    ds = FreiHANDDataset(str(tmp_path), versions=('gs', 'hom'))
    assert len(ds) == 6
    info = ds.get_data_info(4)  # version 'hom', unique sample 1 -> image 1 + 3 * 1
    assert osp.basename(info['img_path']) == '00000004.jpg'
    assert info['sample_id'] == 4 and info['unique_id'] == 1 and info['version'] == 'hom'
    np.testing.assert_allclose(info['joints_3d'], labels['xyz'][1], atol=1e-7)
    np.testing.assert_allclose(info['vertices_3d'], labels['verts'][1], atol=1e-7)
    np.testing.assert_allclose(info['K'], labels['K'][1])
    assert info['joints_3d'].dtype == np.float32 and info['joints_3d'].shape == (21, 3)
    assert info['hand_side'] == 'right' and info['dataset_name'] == 'freihand'
    uvw = labels['verts'][1] @ labels['K'][1].T
    uv = uvw[:, :2] / uvw[:, 2:]
    x1, y1, x2, y2 = info['bbox']
    assert x1 < uv[:, 0].min() and uv[:, 0].max() < x2
    assert y1 < uv[:, 1].min() and uv[:, 1].max() < y2
    # margin 0.1 of the larger side on each side
    side = max(np.ptp(uv[:, 0]), np.ptp(uv[:, 1]))
    np.testing.assert_allclose(x1, uv[:, 0].min() - 0.1 * side, rtol=1e-4)


def test_versions_subset_uses_version_offsets(tmp_path):
    write_freihand(str(tmp_path), num=3, versions=2)
    ds = FreiHANDDataset(str(tmp_path), versions=('hom', ))
    assert len(ds) == 3
    assert osp.basename(ds.get_data_info(0)['img_path']) == '00000003.jpg'


def test_built_from_registry_with_pipeline(tmp_path):
    write_freihand(str(tmp_path), num=2, versions=1)
    init_default_scope('diffhand_mm')  # what a config's default_scope does
    ds = DATASETS.build(dict(type='FreiHANDDataset', data_root=str(tmp_path), versions=('gs', ),
                             pipeline=[dict(type='LoadHandImage'),
                                       dict(type='HandCrop', input_size=(64, 64)),
                                       dict(type='PackHandInputs')]))
    out = ds[1]
    assert tuple(out['inputs'].shape) == (3, 64, 64)
    assert out['data_samples'].metainfo['sample_id'] == 1


def test_missing_version_images_error_and_skip(tmp_path):
    write_freihand(str(tmp_path), num=3, versions=2)
    with pytest.raises(FileNotFoundError, match='00000006.jpg'):
        FreiHANDDataset(str(tmp_path))  # all 4 versions, only gs and hom written
    ds = FreiHANDDataset(str(tmp_path), skip_missing_versions=True)
    assert len(ds) == 6


def test_evaluation_split(tmp_path):
    labels = write_freihand(str(tmp_path), num=4, split='evaluation')
    ds = FreiHANDDataset(str(tmp_path), split='evaluation')
    assert len(ds) == 4
    info = ds.get_data_info(3)
    assert info['img_path'].endswith(osp.join('evaluation', 'rgb', '00000003.jpg'))
    np.testing.assert_allclose(info['joints_3d'], labels['xyz'][3], atol=1e-7)


def test_missing_annotation_file(tmp_path):
    write_freihand(str(tmp_path), num=2, versions=4)
    os.remove(tmp_path / 'training_K.json')
    with pytest.raises(FileNotFoundError, match='training_K.json'):
        FreiHANDDataset(str(tmp_path))


def test_lengths_disagree(tmp_path):
    labels = write_freihand(str(tmp_path), num=3, versions=4)
    with open(tmp_path / 'training_xyz.json', 'w') as f:
        json.dump(labels['xyz'][:2].tolist(), f)
    with pytest.raises(ValueError, match='training_xyz.json: 2'):
        FreiHANDDataset(str(tmp_path))


def test_wrong_item_shape(tmp_path):
    labels = write_freihand(str(tmp_path), num=3, versions=4)
    xyz = labels['xyz'].tolist()
    xyz[1] = xyz[1][:20]
    with open(tmp_path / 'training_xyz.json', 'w') as f:
        json.dump(xyz, f)
    with pytest.raises(ValueError, match=r'training_xyz.json: item 1 has shape \(20, 3\)'):
        FreiHANDDataset(str(tmp_path))


def test_missing_and_corrupt_images_fail_when_loaded(tmp_path):
    write_freihand(str(tmp_path), num=3, versions=1)
    ds = FreiHANDDataset(str(tmp_path), versions=('gs', ), check_images='none',
                         pipeline=[dict(type='LoadHandImage')])
    path1 = str(tmp_path / 'training' / 'rgb' / '00000001.jpg')
    with open(path1, 'rb') as f:
        data = f.read()
    with open(path1, 'wb') as f:
        f.write(data[:len(data) // 2])  # truncated JPEG
    with pytest.raises(IOError, match='00000001.jpg'):
        ds[1]
    with open(path1, 'wb') as f:
        f.write(b'not an image')
    with pytest.raises(IOError, match='00000001.jpg'):
        ds[1]
    os.remove(tmp_path / 'training' / 'rgb' / '00000002.jpg')
    with pytest.raises(FileNotFoundError, match='00000002.jpg'):
        ds[2]
    assert ds[0]['img'].shape == (224, 224, 3)


def test_full_size_annotations_load_fast_and_cache(tmp_path):
    """32,560 samples (FreiHAND's size), K and joints: a guard against per-sample slow code."""
    num = 32560
    rng = np.random.default_rng(0)
    K = np.tile(np.array([[230.0, 0, 111.5], [0, 230.0, 111.5], [0, 0, 1]]), (num, 1, 1))
    xyz = rng.uniform(-0.05, 0.05, (num, 21, 3)) + [0, 0, 0.6]
    for name, arr in (('K', K), ('xyz', xyz)):
        with open(tmp_path / f'training_{name}.json', 'w') as f:
            json.dump(np.round(arr, 5).tolist(), f)
    start = time.perf_counter()
    ds = FreiHANDDataset(str(tmp_path), with_vertices=False, check_images='none',
                         cache_dir=str(tmp_path / 'cache'))
    info = ds.get_data_info(len(ds) - 1)
    elapsed = time.perf_counter() - start
    assert len(ds) == 4 * num and elapsed < 20
    assert osp.basename(info['img_path']) == f'{4 * num - 1:08d}.jpg'
    np.testing.assert_allclose(info['joints_3d'], np.round(xyz[-1], 5), atol=1e-6)
    assert info['vertices_3d'] is None
    cached = FreiHANDDataset(str(tmp_path), with_vertices=False, check_images='none',
                             cache_dir=str(tmp_path / 'cache'))
    assert len(os.listdir(tmp_path / 'cache')) == 1
    np.testing.assert_array_equal(cached.get_data_info(5)['joints_3d'],
                                  ds.get_data_info(5)['joints_3d'])


def _rewrite(path, edit):
    with open(path) as f:
        data = json.load(f)
    edit(data)
    with open(path, 'w') as f:
        json.dump(data, f)


def test_non_finite_labels_name_the_file_and_sample(tmp_path):
    write_freihand(str(tmp_path), num=6, versions=1)
    write_freihand(str(tmp_path), num=4, split='evaluation', seed=1)

    def nan_joint(data):
        data[4][3][1] = float('nan')

    _rewrite(tmp_path / 'training_xyz.json', nan_joint)
    with pytest.raises(ValueError, match=r'FreiHAND: .*training_xyz.json: sample 4: `joints_3d` '
                                         r'holds NaN or infinite values'):
        FreiHANDDataset(str(tmp_path), versions=('gs', ))

    def nan_vertex(data):
        data[2][100][0] = float('nan')

    _rewrite(tmp_path / 'evaluation_verts.json', nan_vertex)
    with pytest.raises(ValueError, match=r'evaluation_verts.json: sample 2: `vertices_3d` holds '
                                         r'NaN'):
        FreiHANDDataset(str(tmp_path), split='evaluation')


def test_labels_in_millimetres_or_behind_the_camera_are_refused(tmp_path):
    labels = write_freihand(str(tmp_path), num=3, versions=1)
    with open(tmp_path / 'training_xyz.json', 'w') as f:
        json.dump((labels['xyz'] * 1000).tolist(), f)
    with pytest.raises(ValueError, match=r'sample 0: `joints_3d` spans [\d.]+ \(expected 0.02-1 '
                                         r'in metres\): these look like millimetres \(3 samples'):
        FreiHANDDataset(str(tmp_path), versions=('gs', ), with_vertices=False)
    with open(tmp_path / 'training_xyz.json', 'w') as f:
        json.dump((labels['xyz'] * [1, 1, -1]).tolist(), f)
    with pytest.raises(ValueError, match=r'`joints_3d` has points behind the camera'):
        FreiHANDDataset(str(tmp_path), versions=('gs', ), with_vertices=False)


def test_truncated_label_file_is_not_read_as_fewer_samples(tmp_path):
    write_freihand(str(tmp_path), num=5, versions=1)
    path = tmp_path / 'training_xyz.json'
    text = path.read_text()
    cut = text.index(']]', len(text) // 3) + 2  # after a complete sample: brackets cut
    path.write_text(text[:cut])
    with pytest.raises(ValueError, match=r'training_xyz.json: not valid JSON .*truncated'):
        FreiHANDDataset(str(tmp_path), versions=('gs', ))


def test_every_image_is_checked_when_the_dataset_is_built(tmp_path):
    write_freihand(str(tmp_path), num=5, versions=1)
    os.remove(tmp_path / 'training' / 'rgb' / '00000003.jpg')  # one in the middle
    with pytest.raises(FileNotFoundError, match=r'the image \(version .gs.\) of sample 3 not '
                                                r'found: .*00000003.jpg$'):
        FreiHANDDataset(str(tmp_path), versions=('gs', ))


def test_images_that_no_label_describes_are_an_error(tmp_path):
    """Labels of an older, smaller run beside the images of a larger one."""
    write_freihand(str(tmp_path), num=3, split='evaluation')
    for i in (3, 4):
        cv2.imwrite(str(tmp_path / 'evaluation' / 'rgb' / f'{i:08d}.jpg'),
                    np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(ValueError, match=r'holds 2 images with ids >= 3 \(e.g. 00000003.jpg\), '
                                         r'but the labels .* describe only 3 samples'):
        FreiHANDDataset(str(tmp_path), split='evaluation')


def test_index_cache_holds_no_pickle(tmp_path):
    write_freihand(str(tmp_path), num=3, versions=1)
    FreiHANDDataset(str(tmp_path), versions=('gs', ), cache_dir=str(tmp_path / 'cache'))
    (cache, ) = os.listdir(tmp_path / 'cache')
    assert cache.endswith('.npz')
    with np.load(tmp_path / 'cache' / cache, allow_pickle=False) as stored:
        assert {'K', 'xyz', 'verts', 'bbox'} <= set(stored.files)

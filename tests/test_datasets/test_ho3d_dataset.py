import os
import os.path as osp
import pickle

import numpy as np
import pytest

from tests.test_datasets.dataset_writers import FakeHandModel, write_ho3d
from diffhand_mm.datasets import HO3DDataset
from diffhand_mm.datasets.utils import MANO_TIPS_TO_OPENPOSE


def test_train_converts_opengl_and_joint_order(tmp_path):
    metas = write_ho3d(str(tmp_path))
    ds = HO3DDataset(str(tmp_path), split='train')
    assert len(ds) == 4
    info = ds.get_data_info(1)
    meta = metas['ABF10/0001']
    gl = np.asarray(meta['handJoints3D'])
    # OpenPose joint 4 (thumb tip) is HO-3D joint 16; joint 5 (index MCP) is HO-3D joint 1
    np.testing.assert_allclose(info['joints_3d'][4], gl[16] * [1, -1, -1], atol=1e-6)
    np.testing.assert_allclose(info['joints_3d'][5], gl[1] * [1, -1, -1], atol=1e-6)
    np.testing.assert_allclose(info['joints_3d'], (gl * [1, -1, -1])[list(MANO_TIPS_TO_OPENPOSE)],
                               atol=1e-6)
    assert np.all(info['joints_3d'][:, 2] > 0)  # in front of the camera after conversion
    assert info['img_path'] == osp.join(str(tmp_path), 'train', 'ABF10', 'rgb', '0001.png')
    np.testing.assert_allclose(info['K'], meta['camMat'])
    assert info['vertices_3d'] is None and info['sample_id'] == 1
    uvw = info['joints_3d'] @ info['K'].T
    uv = uvw[:, :2] / uvw[:, 2:]
    assert np.all(uv >= info['bbox'][:2]) and np.all(uv <= info['bbox'][2:])


def test_train_meshes_converted_from_opengl(tmp_path):
    metas = write_ho3d(str(tmp_path))
    model = FakeHandModel('right')
    ds = HO3DDataset(str(tmp_path), split='train', mano=model)
    info = ds.get_data_info(0)
    meta = metas['ABF10/0000']
    np.testing.assert_allclose(model.calls[-1]['pose'][0].numpy(), meta['handPose'], atol=1e-6)
    expected_gl = model.v_template.numpy() + meta['handTrans'] + meta['handPose'][:3]
    np.testing.assert_allclose(info['vertices_3d'], expected_gl * [1, -1, -1], atol=1e-5)


def test_evaluation_root_only_and_dataset_box(tmp_path):
    metas = write_ho3d(str(tmp_path), split='evaluation')
    ds = HO3DDataset(str(tmp_path), split='evaluation')
    info = ds.get_data_info(2)
    root = np.asarray(metas['MC1/0000']['handJoints3D'])
    np.testing.assert_allclose(info['joints_3d'][0], root * [1, -1, -1], atol=1e-6)
    assert np.isnan(info['joints_3d'][1:]).all()
    np.testing.assert_array_equal(info['joints_3d_valid'], [1] + [0] * 20)
    np.testing.assert_allclose(info['bbox'], [100, 120, 260, 300])
    assert info['vertices_3d'] is None


def test_errors_name_the_file(tmp_path):
    write_ho3d(str(tmp_path))
    meta_path = osp.join(str(tmp_path), 'train', 'MC1', 'meta', '0001.pkl')
    with open(meta_path, 'rb') as f:
        meta = pickle.load(f)
    meta['camMat'] = np.eye(4)
    with open(meta_path, 'wb') as f:
        pickle.dump(meta, f)
    with pytest.raises(ValueError, match=r'0001.pkl: `camMat` has shape \(4, 4\)'):
        HO3DDataset(str(tmp_path), split='train')
    with open(meta_path, 'wb') as f:
        f.write(b'garbage')
    with pytest.raises(ValueError, match='0001.pkl'):
        HO3DDataset(str(tmp_path), split='train')
    os.remove(meta_path)
    with pytest.raises(FileNotFoundError, match='0001.pkl'):
        HO3DDataset(str(tmp_path), split='train')
    os.remove(osp.join(str(tmp_path), 'train.txt'))
    with pytest.raises(FileNotFoundError, match='train.txt'):
        HO3DDataset(str(tmp_path), split='train')


def test_non_finite_label_and_missing_image_are_named(tmp_path):
    write_ho3d(str(tmp_path))
    meta_path = osp.join(str(tmp_path), 'train', 'MC1', 'meta', '0000.pkl')
    with open(meta_path, 'rb') as f:
        meta = pickle.load(f)
    meta['handBeta'] = np.full(10, np.inf)
    with open(meta_path, 'wb') as f:
        pickle.dump(meta, f)
    # rows of train.txt: ABF10/0000, ABF10/0001, MC1/0000 -> sample 2
    with pytest.raises(ValueError, match=rf'HO-3D: {meta_path}: sample 2: `handBeta` holds NaN '
                                         'or infinite'):
        HO3DDataset(str(tmp_path), split='train')
    write_ho3d(str(tmp_path))  # good labels again
    image = osp.join(str(tmp_path), 'train', 'MC1', 'rgb', '0001.png')
    os.remove(image)
    with pytest.raises(FileNotFoundError, match=rf'HO-3D: the image of sample 3 not found: '
                                                rf'{image}'):
        HO3DDataset(str(tmp_path), split='train')

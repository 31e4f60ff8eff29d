"""Geometric transforms must keep K @ X on the image content they move."""
import cv2
import numpy as np
import pytest
import torch

from diffhand_mm.datasets.transforms import (FlipLeftToRight, HandColorJitter, HandCrop,
                                             HandRandomFlip, HandRandomRotate,
                                             HandSyntheticOcclusion, PackHandInputs)
from diffhand_mm.datasets.transforms.geometric import rotate_about_camera_axis


def project(points, K):
    uvw = points.astype(np.float64) @ np.asarray(K, np.float64).T
    return uvw[:, :2] / uvw[:, 2:]


def blob_centroid(img):
    weight = img[..., 0].astype(np.float64)
    ys, xs = np.mgrid[:img.shape[0], :img.shape[1]]
    return np.array([(xs * weight).sum(), (ys * weight).sum()]) / weight.sum()


def make_results(seed=0, width=320, height=240):
    """A sample with fx != fy and a smooth blob drawn at joint 0's projection."""
    rng = np.random.default_rng(seed)
    K = np.array([[300.0, 0, 150.3], [0, 330.0, 118.7], [0, 0, 1]], np.float32)
    joints = (rng.uniform(-0.04, 0.04, (21, 3)) + [0.01, -0.01, 0.5]).astype(np.float32)
    verts = (rng.uniform(-0.04, 0.04, (778, 3)) + [0.01, -0.01, 0.5]).astype(np.float32)
    u0, v0 = project(joints[:1], K)[0]
    ys, xs = np.mgrid[:height, :width]
    blob = 255 * np.exp(-((xs - u0)**2 + (ys - v0)**2) / (2 * 3.0**2))
    img = np.repeat(np.round(blob)[..., None], 3, axis=2).astype(np.uint8)
    uv = project(verts, K)
    bbox = np.concatenate([uv.min(0), uv.max(0)]).astype(np.float32)
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], K=K,
                joints_3d=joints, vertices_3d=verts, bbox=bbox, hand_side='right',
                img_path='x.jpg', sample_id=7, dataset_name='test')


def test_crop_projection_equals_affine_of_original_projection():
    results = make_results()
    uv_before = project(results['joints_3d'], results['K'])
    np.random.seed(0)
    out = HandCrop(input_size=(128, 96), padding=1.3, shift_jitter=0.1,
                   scale_jitter=0.2).transform(results)
    A = out['crop_affine'].astype(np.float64)
    expected = uv_before @ A[:, :2].T + A[:, 2]
    np.testing.assert_allclose(project(out['joints_3d'], out['K']), expected, atol=1e-3)
    assert out['img'].shape == (96, 128, 3) and out['input_size'] == (128, 96)
    # the drawn content moved to where the new K projects joint 0
    np.testing.assert_allclose(blob_centroid(out['img']), expected[0], atol=0.5)


def test_crop_without_jitter_centres_the_box():
    results = make_results()
    bbox = results['bbox'].copy()
    out = HandCrop(input_size=(100, 100), padding=1.0).transform(results)
    centre = out['crop_affine'] @ np.array([(bbox[0] + bbox[2]) / 2, (bbox[1] + bbox[3]) / 2, 1])
    np.testing.assert_allclose(centre, [49.5, 49.5], atol=1e-4)
    # the larger side of the box spans the input exactly (padding 1)
    assert abs(max(out['bbox'][2] - out['bbox'][0], out['bbox'][3] - out['bbox'][1]) - 100) < 1e-3


@pytest.mark.parametrize('angle_deg', [30.0, -75.0])
def test_rotation_moves_labels_and_image_together(angle_deg):
    results = make_results()
    K = results['K'].copy()
    joints_before = results['joints_3d'].copy()
    out = rotate_about_camera_axis(results, np.deg2rad(angle_deg))
    np.testing.assert_array_equal(out['K'], K)  # the camera is unchanged
    uv = project(out['joints_3d'], out['K'])
    np.testing.assert_allclose(blob_centroid(out['img']), uv[0], atol=0.5)
    # 3D: a rotation about z by the angle (lengths kept, z kept)
    np.testing.assert_allclose(out['joints_3d'][:, 2], joints_before[:, 2], atol=1e-6)
    a = np.deg2rad(angle_deg)
    np.testing.assert_allclose(out['joints_3d'][0, :2],
                               [np.cos(a) * joints_before[0, 0] - np.sin(a) * joints_before[0, 1],
                                np.sin(a) * joints_before[0, 0] + np.cos(a) * joints_before[0, 1]],
                               atol=1e-6)
    # crop_affine maps original pixels to current ones
    uv_orig = project(joints_before, K)
    A = out['crop_affine'].astype(np.float64)
    np.testing.assert_allclose(uv_orig @ A[:, :2].T + A[:, 2], uv, atol=1e-3)


def test_random_rotate_then_crop_keeps_projection_consistent():
    results = make_results(seed=1)
    uv_orig = project(results['joints_3d'], results['K'])
    np.random.seed(3)
    out = HandRandomRotate(max_angle_deg=90, prob=1.0).transform(results)
    assert not np.allclose(out['rotation_3d'], np.eye(3))
    out = HandCrop(input_size=(128, 128)).transform(out)
    uv = project(out['joints_3d'], out['K'])
    np.testing.assert_allclose(blob_centroid(out['img']), uv[0], atol=0.5)
    np.testing.assert_array_equal(out['ori_K'], make_results(seed=1)['K'])
    # crop_affine composes rotation and crop: original pixels -> input pixels
    A = out['crop_affine'].astype(np.float64)
    np.testing.assert_allclose(uv_orig @ A[:, :2].T + A[:, 2], uv, atol=1e-3)


def test_flip_left_to_right_mirrors_3d_and_image():
    results = make_results()
    results['hand_side'] = 'left'
    joints, width = results['joints_3d'].copy(), results['img'].shape[1]
    uv_before = project(joints, results['K'])
    out = FlipLeftToRight().transform(results)
    np.testing.assert_allclose(out['joints_3d'], joints * [-1, 1, 1], atol=0)
    assert out['hand_side'] == 'right' and out['flipped'] is True
    uv = project(out['joints_3d'], out['K'])
    np.testing.assert_allclose(uv, np.stack([width - 1 - uv_before[:, 0], uv_before[:, 1]], 1),
                               atol=1e-3)
    np.testing.assert_allclose(blob_centroid(out['img']), uv[0], atol=0.5)
    assert out['K'][0, 2] == pytest.approx(width - 1 - 150.3, abs=1e-4)
    right = FlipLeftToRight().transform(make_results())
    assert right['flipped'] is False
    np.testing.assert_array_equal(right['joints_3d'], make_results()['joints_3d'])


def test_random_flip_probability_one_swaps_side():
    out = HandRandomFlip(prob=1.0).transform(make_results())
    assert out['hand_side'] == 'left' and out['flipped'] is True
    np.testing.assert_allclose(out['vertices_3d'], make_results()['vertices_3d'] * [-1, 1, 1])


def test_pack_shapes_dtypes_and_projection():
    results = HandCrop(input_size=(64, 48)).transform(make_results())
    results['flipped'] = False
    packed = PackHandInputs().transform(results)
    inputs, sample = packed['inputs'], packed['data_samples']
    assert inputs.dtype == torch.uint8 and tuple(inputs.shape) == (3, 48, 64)
    gt = sample.gt_instances
    shapes = dict(vertices=(1, 778, 3), has_vertices=(1, ), joints_3d=(1, 21, 3),
                  joints_2d=(1, 21, 2), cam_K=(1, 3, 3))
    for key, shape in shapes.items():
        assert tuple(gt[key].shape) == shape and gt[key].dtype == torch.float32, key
    np.testing.assert_allclose(gt.joints_2d[0].numpy(), project(results['joints_3d'],
                                                              results['K']), atol=1e-3)
    assert gt.has_vertices.item() == 1.0
    meta = sample.metainfo
    assert meta['input_size'] == (64, 48) and meta['sample_id'] == 7
    assert meta['crop_affine'].shape == (2, 3) and meta['cam_K'].shape == (3, 3)
    assert meta['ori_K'].shape == (3, 3) and meta['hand_side'] == 'right'

    no_mesh = make_results()
    no_mesh['vertices_3d'] = None
    gt = PackHandInputs().transform(no_mesh)['data_samples'].gt_instances
    assert gt.has_vertices.item() == 0.0 and torch.count_nonzero(gt.vertices) == 0


def test_color_jitter_ranges():
    results = make_results()
    img = results['img'].copy()
    same = HandColorJitter(0, 0, 0).transform(dict(results, img=img.copy()))
    np.testing.assert_array_equal(same['img'], img)
    np.random.seed(0)
    jittered = HandColorJitter(brightness=0.5, contrast=0, saturation=0).transform(
        dict(results, img=img.copy()))
    ratio = jittered['img'].astype(float).sum() / img.astype(float).sum()
    assert 0.5 <= ratio <= 1.5 and abs(ratio - 1) > 1e-3


def test_occlusion_stays_inside_box_region():
    img = np.full((100, 120, 3), 128, np.uint8)
    results = dict(img=img, bbox=np.array([30.0, 20, 70, 60], np.float32))
    np.random.seed(0)
    out = HandSyntheticOcclusion(prob=1.0, max_patches=1, area_range=(0.2, 0.2)).transform(
        dict(results, img=img.copy()))
    changed = np.any(out['img'] != 128, axis=2)
    ys, xs = np.nonzero(changed)
    assert changed.any()
    # patch centred in the box: its extent is at most half a patch outside the box
    half = np.sqrt(0.2 * 1600 * 2) / 2 + 1
    assert xs.min() >= 30 - half and xs.max() <= 70 + half
    assert ys.min() >= 20 - half and ys.max() <= 60 + half
    assert changed.sum() <= 0.2 * 1600 + 2 * (half * 2) + 4

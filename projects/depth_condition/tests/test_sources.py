"""Depth sources: the degraded rendered depth is relative, blurred and lands in the crop."""
import cv2
import numpy as np
import pytest

from depth_condition import LoadDepthCondition, RenderedDepthSource, degrade_to_monocular


def _step_map(size=64):
    inverse = np.zeros((size, size), np.float32)
    inverse[16:48, 16:48] = 2.0  # a square at 0.5 m on an infinitely far background
    inverse[24:40, 24:40] = 2.5  # a nearer part at 0.4 m
    return inverse


def test_degraded_depth_is_scale_and_shift_free_in_0_1_and_blurred():
    inverse = _step_map()
    out = degrade_to_monocular(inverse)
    assert out.dtype == np.float32 and out.min() == 0.0 and out.max() == pytest.approx(1.0)
    np.testing.assert_allclose(degrade_to_monocular(3.0 * inverse + 0.7), out, atol=1e-5)
    # the silhouette is soft: the values across the square's edge ramp over several pixels
    row = out[32, 4:28]
    assert np.sum((row > 0.05) & (row < 0.6)) >= 3
    # no blur, no downsampling: the exact map, normalised
    np.testing.assert_allclose(degrade_to_monocular(inverse, 1, 0.0), inverse / 2.5, atol=1e-6)


def _sample(tmp_path, depth_mm, unique_id=5, crop_affine=None):
    rgb_dir = tmp_path / 'training' / 'rgb'
    depth_dir = tmp_path / 'training' / 'depth'
    rgb_dir.mkdir(parents=True)
    depth_dir.mkdir(parents=True)
    cv2.imwrite(str(depth_dir / f'{unique_id:08d}.png'), depth_mm)
    results = dict(img_path=str(rgb_dir / f'{unique_id + 4000:08d}.jpg'), unique_id=unique_id,
                   img=np.zeros((32, 32, 3), np.uint8))
    if crop_affine is not None:
        results['crop_affine'] = crop_affine
    return results


def test_rendered_depth_file_is_inverted_and_warped_into_the_crop(tmp_path):
    depth_mm = np.zeros((64, 64), np.uint16)
    depth_mm[8:24, 40:56] = 500  # a square in the top right of the original image
    # the crop: original (32..63, 0..31) -> input (0..31, 0..31)
    affine = np.array([[1.0, 0.0, -32.0], [0.0, 1.0, 0.0]])
    source = RenderedDepthSource(downsample=1, blur_sigma=0.0)
    results = _sample(tmp_path, depth_mm, crop_affine=affine)
    assert source.depth_file(results).endswith('training/depth/00000005.png')
    out = LoadDepthCondition(source)(results)['depth_condition']
    assert out.shape == (32, 32)
    expected = np.zeros((32, 32), np.float32)
    expected[8:24, 8:24] = 1.0
    np.testing.assert_allclose(out, expected, atol=1e-6)
    # the nearer of two surfaces is the larger value (inverse depth)
    depth_mm[12:16, 44:48] = 250
    near = RenderedDepthSource(1, 0.0)(_sample(tmp_path / 'b', depth_mm, crop_affine=affine))
    assert near[13, 13] == pytest.approx(1.0) and near[9, 9] == pytest.approx(0.5)


def test_silhouette_mode_ignores_the_depth_values_and_online_depth_is_used(tmp_path):
    depth = np.zeros((32, 32), np.float32)
    depth[4:20, 6:30] = np.linspace(0.3, 0.9, 24)[None]
    results = dict(img_path='synthhand://x', img=np.zeros((32, 32, 3), np.uint8), depth=depth)
    silhouette = RenderedDepthSource(mode='silhouette')
    np.testing.assert_allclose(silhouette(results), silhouette(dict(results, depth=depth * 2)))
    relief = RenderedDepthSource()(results)  # the nearer left side is brighter
    assert relief[12, 10] > relief[12, 26]


def test_missing_depth_names_the_file_and_bad_mode_is_rejected(tmp_path):
    results = dict(img_path=str(tmp_path / 'evaluation' / 'rgb' / '00000003.jpg'),
                   unique_id=3, img=np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(FileNotFoundError, match=r'evaluation/depth/00000003\.png'):
        RenderedDepthSource()(results)
    with pytest.raises(ValueError, match='mode'):
        RenderedDepthSource(mode='metric')

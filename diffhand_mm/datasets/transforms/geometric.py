"""Geometric hand transforms that keep the image, K and the 3D labels consistent.

Conventions (docs/architecture.md): camera x right, y down, z forward; pixel = K @ X / Z with
pixel centres at integers. A transform either changes K (crop: the 3D frame is unchanged) or
moves the 3D labels together with the image (rotation, mirroring), so that projecting
``joints_3d`` with the final ``K`` lands on the joints in the final image.

Typical training order: ``LoadHandImage`` -> ``FlipLeftToRight`` -> ``HandRandomFlip`` ->
``HandRandomRotate`` -> ``HandCrop`` -> appearance transforms -> ``PackHandInputs``. Rotate
before cropping: the rotation turns the image about the principal point, which after a crop
usually lies outside the crop.
"""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from diffhand_mm.registry import TRANSFORMS

_POINT_KEYS = ('joints_3d', 'vertices_3d')


def _record_image_map(results: dict, image_map: np.ndarray) -> None:
    """Keep ``ori_K`` and ``ori_bbox`` (of the original image) and compose ``crop_affine``
    (original pixels -> current pixels) with ``image_map`` (3,3), the map just applied to the
    image."""
    results.setdefault('ori_K', np.asarray(results['K'], dtype=np.float32).copy())
    results.setdefault('ori_bbox', np.asarray(results['bbox'], dtype=np.float32).copy())
    previous = np.vstack([results.get('crop_affine', np.eye(2, 3)), [0.0, 0.0, 1.0]])
    results['crop_affine'] = (image_map @ previous)[:2].astype(np.float32)


def _transform_box(bbox: np.ndarray, affine: np.ndarray) -> np.ndarray:
    """Axis-aligned box (4,) around the 4 corners of ``bbox`` mapped by ``affine`` (2,3)."""
    x1, y1, x2, y2 = bbox
    corners = np.array([[x1, y1, 1], [x2, y1, 1], [x1, y2, 1], [x2, y2, 1]], dtype=np.float64)
    mapped = corners @ affine.T
    return np.concatenate([mapped.min(0), mapped.max(0)]).astype(np.float32)


@TRANSFORMS.register_module()
class HandCrop(BaseTransform):
    """Square crop around ``bbox``, resized to ``input_size`` with one affine warp.

    The crop is centred on the box, with side ``max(w, h) * padding`` (times a random scale
    in ``[1 - scale_jitter, 1 + scale_jitter]``) and its centre shifted by up to
    ``shift_jitter`` times the side in x and y. Pixels outside the image are black.

    Updates ``img``, ``img_shape``, ``bbox`` (in input pixels), ``K <- A @ K`` and stores
    ``crop_affine`` (2,3) mapping original pixels to input pixels (composed with any earlier
    rotation / mirroring), ``input_size`` (W,H) and ``ori_K`` (intrinsics of the original
    image, kept from the first geometric transform).

    Args:
        input_size: (W, H) of the network input.
        padding: crop side over the larger side of the box.
        shift_jitter: maximum centre shift as a fraction of the crop side.
        scale_jitter: maximum relative change of the crop side.
    """

    def __init__(self, input_size: Tuple[int, int] = (224, 224), padding: float = 1.2,
                 shift_jitter: float = 0.0, scale_jitter: float = 0.0):
        self.input_size = tuple(int(s) for s in input_size)
        self.padding = padding
        self.shift_jitter = shift_jitter
        self.scale_jitter = scale_jitter

    def crop_affine(self, bbox: np.ndarray) -> np.ndarray:
        """The (2,3) affine from original pixels to input pixels for ``bbox`` (random when
        jitter is on)."""
        x1, y1, x2, y2 = [float(v) for v in bbox]
        side = max(x2 - x1, y2 - y1, 1.0) * self.padding
        side *= 1.0 + np.random.uniform(-self.scale_jitter, self.scale_jitter)
        cx = (x1 + x2) / 2 + np.random.uniform(-self.shift_jitter, self.shift_jitter) * side
        cy = (y1 + y2) / 2 + np.random.uniform(-self.shift_jitter, self.shift_jitter) * side
        width, height = self.input_size
        sx, sy = width / side, height / side
        # The crop square [c - side/2, c + side/2] covers the input's pixel extent
        # [-0.5, size - 0.5] (pixel centres at integers), so its centre maps to (size - 1) / 2.
        return np.array([[sx, 0.0, (width - 1) / 2 - sx * cx],
                         [0.0, sy, (height - 1) / 2 - sy * cy]], dtype=np.float64)

    def transform(self, results: dict) -> dict:
        affine = self.crop_affine(results['bbox'])
        results['img'] = cv2.warpAffine(results['img'], affine, self.input_size,
                                        flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                        borderValue=0)
        results['img_shape'] = results['img'].shape[:2]
        affine_3x3 = np.vstack([affine, [0.0, 0.0, 1.0]])
        _record_image_map(results, affine_3x3)
        results['K'] = (affine_3x3 @ results['K']).astype(np.float32)
        results['bbox'] = _transform_box(results['bbox'], affine)
        results['input_size'] = self.input_size
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(input_size={self.input_size}, padding={self.padding}, '
                f'shift_jitter={self.shift_jitter}, scale_jitter={self.scale_jitter})')


@TRANSFORMS.register_module()
class HandRandomRotate(BaseTransform):
    """Rotate the 3D labels about the camera z axis and the image about the principal point.

    With rotation R about z, a point X moves to R X and its pixel to K R K^-1 (u, v, 1): for
    ``fx == fy`` this is the rotation of the image by the same angle about (cx, cy); in
    general it is the affine warp applied here, so projections stay exact for any K. K is
    unchanged. ``bbox`` keeps its size and moves its centre with the image.
    Stores the accumulated rotation in ``rotation_3d`` (3,3) (labels_now = R @ labels_before).

    Args:
        max_angle_deg: angles are drawn uniformly in [-max_angle_deg, max_angle_deg].
        prob: probability of rotating at all.
    """

    def __init__(self, max_angle_deg: float = 90.0, prob: float = 1.0):
        self.max_angle_deg = max_angle_deg
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        angle = np.deg2rad(np.random.uniform(-self.max_angle_deg, self.max_angle_deg))
        return rotate_about_camera_axis(results, angle)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(max_angle_deg={self.max_angle_deg}, prob={self.prob})'


def rotate_about_camera_axis(results: dict, angle: float) -> dict:
    """Rotate image and 3D labels of ``results`` by ``angle`` radians about the z axis."""
    c, s = np.cos(angle), np.sin(angle)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    K = np.asarray(results['K'], dtype=np.float64)
    image_map = K @ rotation @ np.linalg.inv(K)
    _record_image_map(results, image_map)
    height, width = results['img'].shape[:2]
    results['img'] = cv2.warpAffine(results['img'], image_map[:2], (width, height),
                                    flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT,
                                    borderValue=0)
    for key in _POINT_KEYS:
        if results.get(key) is not None:
            results[key] = (results[key] @ rotation.T).astype(np.float32)
    x1, y1, x2, y2 = results['bbox']
    centre = image_map[:2] @ np.array([(x1 + x2) / 2, (y1 + y2) / 2, 1.0])
    half = np.array([x2 - x1, y2 - y1]) / 2
    results['bbox'] = np.concatenate([centre - half, centre + half]).astype(np.float32)
    results['rotation_3d'] = (rotation @ results.get('rotation_3d', np.eye(3))).astype(
        np.float32)
    return results


def mirror_horizontally(results: dict) -> dict:
    """Mirror image and labels: u -> W-1-u in the image, X -> -X in 3D.

    K becomes F K diag(-1,1,1) with F the pixel mirror, i.e. cx -> W-1-cx (and the skew
    changes sign), so K @ X still lands on the mirrored content. Swaps ``hand_side`` and
    toggles ``flipped``.
    """
    width = results['img'].shape[1]
    results['img'] = np.ascontiguousarray(results['img'][:, ::-1])
    pixel_mirror = np.array([[-1.0, 0.0, width - 1.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    _record_image_map(results, pixel_mirror)
    results['K'] = (pixel_mirror @ np.asarray(results['K'], np.float64) @
                    np.diag([-1.0, 1.0, 1.0])).astype(np.float32)
    for key in _POINT_KEYS:
        if results.get(key) is not None:
            results[key] = (results[key] * np.array([-1.0, 1.0, 1.0])).astype(np.float32)
    x1, y1, x2, y2 = results['bbox']
    results['bbox'] = np.array([width - 1 - x2, y1, width - 1 - x1, y2], dtype=np.float32)
    results['hand_side'] = {'left': 'right', 'right': 'left'}[results['hand_side']]
    results['flipped'] = not results.get('flipped', False)
    return results


@TRANSFORMS.register_module()
class FlipLeftToRight(BaseTransform):
    """Mirror left-hand samples so every sample shows a right hand (DexYCB's left hands).

    The model is trained on right hands (the DiffHand / HandOccNet convention); predictions
    of a flipped sample are mirrored back by the model (metainfo ``flipped``).
    Right-hand samples pass unchanged. See :func:`mirror_horizontally`.
    """

    def transform(self, results: dict) -> dict:
        if results['hand_side'] == 'left':
            results = mirror_horizontally(results)
        results.setdefault('flipped', False)
        return results


@TRANSFORMS.register_module()
class HandRandomFlip(BaseTransform):
    """Mirror the sample with probability ``prob`` (the hand changes side).

    Only useful with a model that handles both sides (``hand_side`` in the metainfo);
    the usual right-hand models use :class:`FlipLeftToRight` instead.
    """

    def __init__(self, prob: float = 0.5):
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() < self.prob:
            results = mirror_horizontally(results)
        results.setdefault('flipped', False)
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(prob={self.prob})'


__all__ = ('HandCrop', 'HandRandomRotate', 'FlipLeftToRight', 'HandRandomFlip',
           'rotate_about_camera_axis', 'mirror_horizontally')

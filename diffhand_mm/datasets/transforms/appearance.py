"""Appearance augmentations: colour jitter and synthetic occluders. Labels are untouched."""
from typing import Tuple

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from diffhand_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class HandColorJitter(BaseTransform):
    """Random brightness, contrast and saturation of the BGR uint8 image.

    Each factor is drawn uniformly in ``[1 - x, 1 + x]``: brightness multiplies the pixels,
    contrast scales them about the mean grey level, saturation blends with the grey image.

    Args:
        brightness: maximum relative brightness change.
        contrast: maximum relative contrast change.
        saturation: maximum relative saturation change.
        prob: probability of jittering at all.
    """

    def __init__(self, brightness: float = 0.2, contrast: float = 0.2, saturation: float = 0.2,
                 prob: float = 1.0):
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
        self.prob = prob

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img'].astype(np.float32)
        img *= np.random.uniform(1 - self.brightness, 1 + self.brightness)
        grey = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)
        img = (img - grey.mean()) * np.random.uniform(1 - self.contrast, 1 + self.contrast) \
            + grey.mean()
        grey = cv2.cvtColor(np.clip(img, 0, 255).astype(np.uint8), cv2.COLOR_BGR2GRAY)
        alpha = np.random.uniform(1 - self.saturation, 1 + self.saturation)
        img = img * alpha + grey[..., None].astype(np.float32) * (1 - alpha)
        results['img'] = np.clip(np.round(img), 0, 255).astype(np.uint8)
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(brightness={self.brightness}, contrast={self.contrast}, '
                f'saturation={self.saturation}, prob={self.prob})')


@TRANSFORMS.register_module()
class HandSyntheticOcclusion(BaseTransform):
    """Paste random rectangles of uniform noise over part of the hand box.

    Each patch covers a fraction of the box area drawn from ``area_range`` with an aspect
    ratio in [0.5, 2], centred at a random point of the box (clipped to the image). Mimics
    objects held in hand; apply it after :class:`HandCrop` so the box is the one of the input.

    Args:
        prob: probability of occluding at all.
        max_patches: 1 to ``max_patches`` patches are drawn.
        area_range: (min, max) patch area as a fraction of the box area.
    """

    def __init__(self, prob: float = 0.5, max_patches: int = 1,
                 area_range: Tuple[float, float] = (0.05, 0.25)):
        self.prob = prob
        self.max_patches = max_patches
        self.area_range = tuple(area_range)

    def transform(self, results: dict) -> dict:
        if np.random.rand() >= self.prob:
            return results
        img = results['img'].copy()
        height, width = img.shape[:2]
        x1, y1, x2, y2 = [float(v) for v in results['bbox']]
        box_area = max(x2 - x1, 1.0) * max(y2 - y1, 1.0)
        for _ in range(np.random.randint(1, self.max_patches + 1)):
            area = box_area * np.random.uniform(*self.area_range)
            aspect = np.exp(np.random.uniform(np.log(0.5), np.log(2.0)))
            patch_w, patch_h = np.sqrt(area * aspect), np.sqrt(area / aspect)
            cx, cy = np.random.uniform(x1, x2), np.random.uniform(y1, y2)
            left = int(max(0, round(cx - patch_w / 2)))
            right = int(min(width, round(cx + patch_w / 2)))
            top = int(max(0, round(cy - patch_h / 2)))
            bottom = int(min(height, round(cy + patch_h / 2)))
            if right > left and bottom > top:
                img[top:bottom, left:right] = np.random.randint(
                    0, 256, (bottom - top, right - left, img.shape[2]), dtype=np.uint8)
        results['img'] = img
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(prob={self.prob}, max_patches={self.max_patches}, '
                f'area_range={self.area_range})')

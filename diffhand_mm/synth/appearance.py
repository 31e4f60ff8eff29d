"""Procedural appearance for SynthHand: backgrounds, occluders, skin tones, lighting.

Every function takes a ``numpy.random.Generator`` and draws from it only, so a sample is a
pure function of its seed. Images are uint8 BGR (OpenCV's order), (H, W, 3).
"""
from typing import Tuple

import cv2
import numpy as np

from diffhand_mm.render import DirectionalLight

# Skin albedos (RGB in [0,1]) from very light to very dark; a sample blends two neighbours.
SKIN_TONES_RGB = np.array([
    [0.96, 0.80, 0.69], [0.92, 0.72, 0.60], [0.85, 0.64, 0.50], [0.76, 0.55, 0.40],
    [0.64, 0.45, 0.32], [0.52, 0.35, 0.24], [0.40, 0.27, 0.18], [0.30, 0.20, 0.14]])


def random_color(rng: np.random.Generator) -> np.ndarray:
    """(3,) float BGR colour in [0,255], saturated or grey with equal odds."""
    hsv = np.array([[[rng.uniform(0, 180), rng.uniform(0, 255), rng.uniform(30, 255)]]],
                   dtype=np.float32)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)[0, 0].astype(np.float32)


def _smooth_noise(rng, size: Tuple[int, int], cells: int, channels: int) -> np.ndarray:
    """Low-frequency noise in [0,1]: a cells x cells random grid upsampled bicubically."""
    grid = rng.random((cells, cells, channels)).astype(np.float32)
    up = cv2.resize(grid, (size[1], size[0]), interpolation=cv2.INTER_CUBIC)
    return np.clip(up.reshape(size[0], size[1], channels), 0, 1)


def _noise_background(rng, size):
    a, b = random_color(rng), random_color(rng)
    t = _smooth_noise(rng, size, int(rng.integers(2, 12)), 1)
    return a * t + b * (1 - t)


def _stripe_background(rng, size):
    a, b = random_color(rng), random_color(rng)
    angle = rng.uniform(0, np.pi)
    period = rng.uniform(3, 30)  # pixels of the half-resolution pattern
    xx = np.arange(size[1], dtype=np.float32)[None] * np.float32(np.cos(angle) * 2 * np.pi / period)
    yy = np.arange(size[0], dtype=np.float32)[:, None] * np.float32(np.sin(angle) * 2 * np.pi
                                                                    / period)
    t = (0.5 + 0.5 * np.sin(xx + yy + np.float32(rng.uniform(0, 2 * np.pi))))[..., None]
    if rng.random() < 0.5:  # hard-edged stripes
        t = (t > 0.5).astype(np.float32)
    return a * t + b * (1 - t)


def _blob_background(rng, size):
    image = np.empty(size + (3,), dtype=np.float32)
    image[:] = random_color(rng)
    for _ in range(int(rng.integers(3, 12))):
        centre = (int(rng.integers(0, size[1])), int(rng.integers(0, size[0])))
        axes = (int(rng.integers(3, size[1] // 2)), int(rng.integers(3, size[0] // 2)))
        cv2.ellipse(image, centre, axes, float(rng.uniform(0, 180)), 0, 360,
                    random_color(rng).tolist(), -1)
    return cv2.GaussianBlur(image, (0, 0), float(rng.uniform(0.3, 2.0)))


_BACKGROUNDS = (_noise_background, _stripe_background, _blob_background)


_NOISE_TILE_SIZE = 512
# Drawing fresh per-pixel Gaussian noise costs ~1.5 ms per 224x224x3 image; a fixed tile of
# unit Gaussian noise cropped at random offsets (and flipped) looks the same at a tiny cost.
_NOISE_TILE = np.random.Generator(np.random.PCG64(20240531)).standard_normal(
    (_NOISE_TILE_SIZE, _NOISE_TILE_SIZE, 3), dtype=np.float32)


def pixel_noise(rng: np.random.Generator, size: Tuple[int, int], channels: int) -> np.ndarray:
    """Unit Gaussian pixel noise (H, W, channels) float32: a random crop of a fixed tile."""
    if max(size) > _NOISE_TILE_SIZE:
        return rng.standard_normal(size + (channels,), dtype=np.float32)
    y = int(rng.integers(0, _NOISE_TILE_SIZE - size[0] + 1))
    x = int(rng.integers(0, _NOISE_TILE_SIZE - size[1] + 1))
    c = int(rng.integers(0, 4 - channels))
    crop = _NOISE_TILE[y:y + size[0], x:x + size[1], c:c + channels]
    return crop[::-1] if rng.random() < 0.5 else crop


def random_background(rng: np.random.Generator, size: Tuple[int, int]) -> np.ndarray:
    """A cluttered procedural background.

    One of smooth colour noise, stripes or blobs, sometimes blended with a second one, plus
    fine texture noise.

    Args:
        rng: random source.
        size: (H, W).

    Returns:
        (H, W, 3) float32 BGR in [0, 255].
    """
    # Patterns are drawn at half resolution and upsampled (4x fewer pixels to compute); the
    # fine texture is added at full resolution.
    small = ((size[0] + 1) // 2, (size[1] + 1) // 2)
    image = _BACKGROUNDS[int(rng.integers(len(_BACKGROUNDS)))](rng, small)
    if rng.random() < 0.4:
        second = _BACKGROUNDS[int(rng.integers(len(_BACKGROUNDS)))](rng, small)
        weight = _smooth_noise(rng, small, int(rng.integers(2, 5)), 1)
        image = image * weight + second * (1 - weight)
    image = cv2.resize(image, (size[1], size[0]), interpolation=cv2.INTER_LINEAR)
    texture = pixel_noise(rng, size, 1) * np.float32(rng.uniform(0, 18))
    return np.clip(image + texture, 0, 255)


def random_skin_colors(rng: np.random.Generator, vertices: np.ndarray) -> np.ndarray:
    """Per-vertex skin albedo: a random tone with low-frequency blotches.

    Args:
        rng: random source.
        vertices: (V,3) rest or posed vertices in metres (only used to place the blotches).

    Returns:
        (V,3) RGB albedo in [0,1].
    """
    pos = rng.uniform(0, len(SKIN_TONES_RGB) - 1)
    low = int(pos)
    high = min(low + 1, len(SKIN_TONES_RGB) - 1)
    tone = SKIN_TONES_RGB[low] * (high - pos if high != low else 1.0) + \
        SKIN_TONES_RGB[high] * (pos - low if high != low else 0.0)
    tone = np.clip(tone * rng.uniform(0.9, 1.1, 3), 0, 1)
    # Reddish / pale blotches varying over a few centimetres.
    freq = rng.normal(0, 60.0, (3, 3))
    wave = np.sin(vertices @ freq + rng.uniform(0, 2 * np.pi, 3)).mean(1, keepdims=True)
    return np.clip(tone * (1.0 + 0.08 * wave * np.array([1.0, 0.7, 0.7])), 0, 1)


def random_light(rng: np.random.Generator) -> DirectionalLight:
    """A directional light coming from the camera's half-space, with ambient and a tint."""
    direction = rng.normal(0, 1, 3)
    direction[2] = abs(direction[2]) + 0.3  # travels into the scene
    return DirectionalLight(direction=direction / np.linalg.norm(direction),
                            ambient=float(rng.uniform(0.25, 0.55)),
                            diffuse=float(rng.uniform(0.45, 0.85)),
                            color=np.clip(1.0 + rng.normal(0, 0.06, 3), 0.8, 1.0))


def _random_shape_mask(rng, size, bbox, scale: float) -> np.ndarray:
    """An ellipse or polygon near the hand's box; bool (H, W)."""
    x1, y1, x2, y2 = bbox
    extent = max(x2 - x1, y2 - y1)
    centre = np.array([rng.uniform(x1, x2), rng.uniform(y1, y2)])
    mask = np.zeros(size, dtype=np.uint8)
    radius = scale * extent * rng.uniform(0.15, 0.5)
    if rng.random() < 0.5:
        axes = (max(1, int(radius)), max(1, int(radius * rng.uniform(0.3, 1.0))))
        cv2.ellipse(mask, (int(centre[0]), int(centre[1])), axes, float(rng.uniform(0, 180)),
                    0, 360, 1, -1)
    else:
        count = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, count))
        radii = radius * rng.uniform(0.5, 1.0, count)
        points = centre + np.stack([np.cos(angles), np.sin(angles)], 1) * radii[:, None]
        cv2.fillPoly(mask, [np.round(points).astype(np.int32)], 1)
    return mask.astype(bool)


def random_occluders(rng: np.random.Generator, hand_mask: np.ndarray, bbox: np.ndarray,
                     max_fraction: float = 0.4, probability: float = 0.5) -> np.ndarray:
    """Occluder shapes in front of the hand, covering at most ``max_fraction`` of its mask.

    Args:
        rng: random source.
        hand_mask: (H, W) bool silhouette of the hand.
        bbox: (4,) x1, y1, x2, y2 of the hand in pixels.
        max_fraction: largest fraction of hand pixels the occluders may hide together.
        probability: chance that a sample has occluders at all.

    Returns:
        (H, W) int32 label image: 0 = no occluder, k = k-th occluder (drawn in order, later
        ones on top).
    """
    labels = np.zeros(hand_mask.shape, dtype=np.int32)
    if rng.random() >= probability:
        return labels
    hand_pixels = max(int(hand_mask.sum()), 1)
    for k in range(1, int(rng.integers(1, 4)) + 1):
        shape = _random_shape_mask(rng, hand_mask.shape, bbox, scale=1.0)
        covered = (labels > 0) | shape
        # A shape that would hide too much of the hand is dropped (not shrunk).
        if (covered & hand_mask).sum() <= max_fraction * hand_pixels:
            labels[shape] = k
    return labels


def paint_occluders(rng: np.random.Generator, image: np.ndarray, labels: np.ndarray) -> None:
    """Fill each occluder region of ``image`` (float BGR, in place) with a shaded colour."""
    for k in range(1, int(labels.max()) + 1):
        rows, cols = np.nonzero(labels == k)
        if rows.size == 0:
            continue
        # A linear shading ramp across the shape, in a random direction.
        angle = rng.uniform(0, 2 * np.pi)
        ramp = np.cos(angle) * (cols - cols.mean()) + np.sin(angle) * (rows - rows.mean())
        ramp /= max(float(np.abs(ramp).max()), 1.0)
        shade = (1.0 + rng.uniform(0.1, 0.35) * ramp).astype(np.float32)[:, None]
        image[rows, cols] = np.clip(random_color(rng) * shade, 0, 255)

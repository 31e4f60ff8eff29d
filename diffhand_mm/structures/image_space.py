"""Pixel maps between the network input and the original image, shared by the packed ground
truth (``PackHandInputs``) and the predictions (``DiffHand``) so both land in the same place."""
import numpy as np


def input_to_original_pixels(points: np.ndarray, crop_affine: np.ndarray) -> np.ndarray:
    """Map input pixels back to the original image.

    Args:
        points: (..., 2) pixels of the network input.
        crop_affine: (2, 3) affine from original pixels to input pixels (crop, rotations and
            mirroring composed, as the hand transforms record it).

    Returns:
        np.ndarray: (..., 2) float32 pixels of the original image.
    """
    affine = np.asarray(crop_affine, dtype=np.float64)
    if affine.shape != (2, 3):
        raise ValueError(f'crop_affine must be (2, 3), got {affine.shape}.')
    shifted = np.asarray(points, dtype=np.float64) - affine[:, 2]
    return (shifted @ np.linalg.inv(affine[:, :2]).T).astype(np.float32)


def points_box(points: np.ndarray) -> np.ndarray:
    """Tight box (..., 4) x1, y1, x2, y2 around points (..., N, 2), float32."""
    points = np.asarray(points, dtype=np.float32)
    return np.concatenate([points.min(-2), points.max(-2)], axis=-1)

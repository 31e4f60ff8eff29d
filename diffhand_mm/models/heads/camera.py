"""Weak-perspective camera predicted from the image embedding, and its conversions.

Conventions (pixel centres at integer coordinates, as in docs/architecture.md):

- Normalised crop coordinates: ``u_n = 2 (u + 0.5) / W - 1``, ``v_n = 2 (v + 0.5) / H - 1``,
  so the crop's outer pixel edges map to -1 and +1.
- Weak perspective: a root-relative point (X, Y, Z) in metres maps to
  ``(u_n, v_n) = s (X, Y) + (t_x, t_y)``; the root lands at (t_x, t_y).
- Camera-frame translation of the root, from the crop intrinsics K (fx, fy, cx, cy), by
  matching the weak model to a pinhole camera at the root's depth (du/dX = fx / T_z):
  ``T_z = 2 fx / (s W)``, ``T_x = T_z (u_r - cx) / fx``, ``T_y = T_z (v_r - cy) / fy`` with the
  root pixel ``u_r = (t_x + 1) W / 2 - 0.5``, ``v_r = (t_y + 1) H / 2 - 0.5``. One scale s
  serves both axes, which assumes ``fx / W == fy / H`` (square crops of square-pixel cameras,
  what HandCrop produces).
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def pixels_to_normalized(points: Tensor, image_size: Tensor) -> Tensor:
    """Input-crop pixels (B, N, 2) -> normalised crop coordinates; image_size (B, 2) as (W, H)."""
    size = image_size[:, None].to(points)
    return 2 * (points + 0.5) / size - 1


def normalized_to_pixels(points: Tensor, image_size: Tensor) -> Tensor:
    """Normalised crop coordinates (B, N, 2) -> input-crop pixels; image_size (B, 2) as (W, H)."""
    size = image_size[:, None].to(points)
    return (points + 1) * size / 2 - 0.5


def weak_perspective_project(points: Tensor, camera: Tensor) -> Tensor:
    """Project root-relative points (B, N, 3) metres with cameras (B, 3) = (s, t_x, t_y).

    Returns:
        Tensor: (B, N, 2) normalised crop coordinates.
    """
    return camera[:, None, :1] * points[..., :2] + camera[:, None, 1:]


def weak_perspective_to_translation(camera: Tensor, cam_K: Tensor, image_size: Tensor) -> Tensor:
    """Camera-frame position of the root (B, 3) metres; see the module docstring.

    Args:
        camera: (B, 3) = (s, t_x, t_y), s > 0.
        cam_K: (B, 3, 3) intrinsics of the input crop.
        image_size: (B, 2) input size (W, H) in pixels.
    """
    scale, root_n = camera[:, 0], camera[:, None, 1:]
    fx, fy = cam_K[:, 0, 0], cam_K[:, 1, 1]
    cx, cy = cam_K[:, 0, 2], cam_K[:, 1, 2]
    root_px = normalized_to_pixels(root_n, image_size)[:, 0]
    depth = 2 * fx / (scale * image_size[:, 0].to(camera))
    return torch.stack([depth * (root_px[:, 0] - cx) / fx,
                        depth * (root_px[:, 1] - cy) / fy, depth], dim=-1)


def perspective_project(points: Tensor, cam_K: Tensor) -> Tensor:
    """Pinhole projection of camera-frame points (B, N, 3) with K (B, 3, 3) -> pixels (B, N, 2)."""
    homogeneous = torch.einsum('bij,bnj->bni', cam_K.to(points), points)
    return homogeneous[..., :2] / homogeneous[..., 2:]


class WeakPerspectiveCameraHead(nn.Module):
    """MLP from the image embedding and a resized feature map to (s, t_x, t_y).

    The feature map, resized to ``pool_size x pool_size`` cells, keeps *where* the
    hand is: a convolutional encoder's pooled embedding is nearly translation invariant, and
    a camera head fed only with it learnt an almost constant (s, t) in our SynthHand runs.
    ``s = scale_prior * exp(raw)`` keeps the scale positive; the last layer starts at zero,
    so an untrained head predicts s = scale_prior and a hand centred in the crop.

    Args:
        embed_dim: D of the image embedding.
        feature_channels: C of the feature map, or None to use the embedding alone.
        pool_size: Cells per side of the resized feature map.
        hidden_dim: MLP width.
        scale_prior: Initial s, in normalised units per metre (8 means a hand 0.25 m across
            fills the crop).
    """

    def __init__(self, embed_dim: int, feature_channels: Optional[int] = None,
                 pool_size: int = 4, hidden_dim: int = 256, scale_prior: float = 8.0) -> None:
        super().__init__()
        self.scale_prior = scale_prior
        self.feature_channels = feature_channels
        self.pool_size = pool_size
        in_dim = embed_dim + (feature_channels or 0) * pool_size ** 2
        self.mlp = nn.Sequential(nn.LayerNorm(in_dim), nn.Linear(in_dim, hidden_dim), nn.GELU(),
                                 nn.Linear(hidden_dim, 3))
        nn.init.zeros_(self.mlp[-1].weight)
        nn.init.zeros_(self.mlp[-1].bias)

    def forward(self, feature_map: Tensor, embedding: Tensor) -> Tensor:
        """feature_map (B, C, h, w), embedding (B, D) -> camera (B, 3) = (s, t_x, t_y)."""
        inputs = embedding
        if self.feature_channels:
            # Bilinear resizing rather than adaptive average pooling: ONNX cannot export the
            # latter when the sizes do not divide (DeiT's 14 x 14 to 4 x 4).
            pooled = F.interpolate(feature_map, size=(self.pool_size, self.pool_size),
                                   mode='bilinear', align_corners=False).flatten(1)
            inputs = torch.cat([embedding, pooled], dim=1)
        raw = self.mlp(inputs)
        return torch.cat([self.scale_prior * raw[:, :1].exp(), raw[:, 1:]], dim=-1)

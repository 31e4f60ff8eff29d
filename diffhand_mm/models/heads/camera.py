"""Weak-perspective camera predicted from the image, and its conversions.

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
from typing import Optional, Tuple

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


def joint_box(points: Tensor, min_half_extent: float = 0.005) -> Tuple[Tensor, Tensor]:
    """Square box around the (X, Y) of root-relative points (B, N, 3) metres.

    Returns:
        tuple: centre (B, 2) and half side (B,), metres; the half side is the larger of the two
        half extents, at least ``min_half_extent`` so that a collapsed prediction cannot
        divide by zero.
    """
    low, high = points[..., :2].amin(1), points[..., :2].amax(1)
    half = ((high - low) / 2).amax(-1).clamp_min(min_half_extent)
    return (low + high) / 2, half


def pooled_image_features(feature_map: Optional[Tensor], embedding: Tensor,
                          pool_size: int) -> Tensor:
    """The embedding (B, D) and, when given, the feature map (B, C, h, w) resized to
    ``pool_size x pool_size`` cells: (B, D + C pool_size^2), what the small MLPs reading the
    image (hand box, joint evidence) take. A CNN's pooled embedding is nearly translation
    invariant; the cells keep where things are."""
    if feature_map is None:
        return embedding
    # Bilinear resizing rather than adaptive average pooling: ONNX cannot export the latter
    # when the sizes do not divide (DeiT's 14 x 14 to 4 x 4).
    pooled = F.interpolate(feature_map, size=(pool_size, pool_size), mode='bilinear',
                           align_corners=False).flatten(1)
    return torch.cat([embedding, pooled], dim=1)


def box_to_camera(box: Tensor, points: Tensor) -> Tensor:
    """The weak-perspective camera that puts the points' square box onto ``box``.

    Args:
        box: (B, 3) = (h, b_x, b_y): half side and centre of the hand's box in normalised crop
            coordinates.
        points: (B, N, 3) root-relative joints, metres, whose box is matched.

    Returns:
        Tensor: (B, 3) = (s, t_x, t_y) with ``s = h / half_side`` and ``t = b - s * centre``,
        so ``weak_perspective_project(points, camera)`` has its square box exactly at ``box``.
    """
    centre, half = joint_box(points)
    scale = box[:, 0] / half
    return torch.cat([scale[:, None], box[:, 1:] - scale[:, None] * centre], dim=-1)


class WeakPerspectiveCameraHead(nn.Module):
    """Predicts where the hand's box is in the crop, and turns it into (s, t_x, t_y).

    The MLP reads the image embedding and the feature map resized to ``pool_size x
    pool_size`` cells (a convolutional encoder's pooled embedding is nearly translation
    invariant) and predicts the hand's square joint box (h, b_x, b_y) in normalised crop
    coordinates. The camera follows from the box and the root-relative joints it is used with
    (:func:`box_to_camera`): the mesh's own shape says where its wrist is inside the box.

    Why a box and not (s, t) directly: the root (wrist) can be anywhere in a crop centred on
    the hand, depending on the hand's orientation. A head regressing (s, t) directly learnt the
    best *constant* camera in our SynthHand runs (L1 0.17 normalised, the same as a constant);
    the box of the hand is what a crop-centred image shows directly, and an untrained box
    head (h = ``box_prior``, centred) is already close on :class:`HandCrop`'s test crops.

    ``h = box_prior * exp(raw)`` keeps the size positive; the last layer starts at zero.

    Args:
        embed_dim: D of the image embedding.
        feature_channels: C of the feature map, or None to use the embedding alone.
        pool_size: Cells per side of the resized feature map.
        hidden_dim: MLP width.
        box_prior: Initial half side of the hand's joint box in normalised crop units
            (measured on SynthHand: 0.53 in crops padded by 1.3, 0.44 by 1.6).
    """

    def __init__(self, embed_dim: int, feature_channels: Optional[int] = None,
                 pool_size: int = 4, hidden_dim: int = 256, box_prior: float = 0.5) -> None:
        super().__init__()
        self.box_prior = box_prior
        self.feature_channels = feature_channels
        self.pool_size = pool_size
        in_dim = embed_dim + (feature_channels or 0) * pool_size ** 2
        # Named box_mlp, not mlp: heads that regressed (s, t) directly had the same shapes under
        # 'mlp', and loading one here must be reported (missing/unexpected keys), not silent.
        self.box_mlp = nn.Sequential(nn.LayerNorm(in_dim), nn.Linear(in_dim, hidden_dim),
                                     nn.GELU(), nn.Linear(hidden_dim, 3))
        nn.init.zeros_(self.box_mlp[-1].weight)
        nn.init.zeros_(self.box_mlp[-1].bias)

    def predict_box(self, feature_map: Tensor, embedding: Tensor) -> Tensor:
        """feature_map (B, C, h, w), embedding (B, D) -> box (B, 3) = (h, b_x, b_y), normalised
        crop units."""
        raw = self.box_mlp(pooled_image_features(
            feature_map if self.feature_channels else None, embedding, self.pool_size))
        return torch.cat([self.box_prior * raw[:, :1].exp(), raw[:, 1:]], dim=-1)

    def forward(self, feature_map: Tensor, embedding: Tensor, joints: Tensor) -> Tensor:
        """Camera (B, 3) = (s, t_x, t_y) for root-relative ``joints`` (B, 21, 3) metres."""
        return box_to_camera(self.predict_box(feature_map, embedding), joints)

"""Losses of DiffHand: x0 MSE, vertex / 3D joint / 2D joint L1, normal consistency.

Every loss takes a per-sample (or per-point) ``mask`` so that samples without a label add
nothing, and returns ``loss_weight`` times the masked mean (zero, still differentiable, when
nothing is labelled). Units are those of the inputs; see docs/model.md for what the head feeds.
"""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from diffhand_mm.registry import MODELS


def masked_mean(per_item: Tensor, mask: Optional[Tensor]) -> Tensor:
    """Mean of ``per_item`` (B, N) over entries whose mask is non-zero.

    Args:
        per_item: Per-item losses (B, N).
        mask: None (all items), (B,) per-sample or (B, N) per-item weights in [0, 1].

    Returns:
        Tensor: 0-dim weighted mean; 0 (with a graph) when the mask is all zero.
    """
    if mask is None:
        return per_item.mean()
    mask = mask.to(per_item.dtype)
    if mask.dim() == 1:
        mask = mask[:, None]
    mask = mask.expand_as(per_item)
    return (per_item * mask).sum() / mask.sum().clamp(min=1e-6)


def face_normals(vertices: Tensor, faces: Tensor) -> Tensor:
    """Unit normals of triangles, right-handed in the face's vertex order.

    Args:
        vertices: (B, V, 3). faces: (F, 3) int64.

    Returns:
        Tensor: (B, F, 3) unit normals (zero vector for degenerate faces).
    """
    tri = vertices[:, faces]  # (B, F, 3 corners, 3)
    normal = torch.cross(tri[:, :, 1] - tri[:, :, 0], tri[:, :, 2] - tri[:, :, 0], dim=-1)
    return F.normalize(normal, dim=-1, eps=1e-12)


class _WeightedLoss(nn.Module):
    """Holds ``loss_weight``."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'


@MODELS.register_module()
class X0MSELoss(_WeightedLoss):
    """Diffusion objective: mean squared error of the x0 prediction, per coordinate.

    ``forward(pred (B,V,3), target (B,V,3), mask=None (B,))`` -> weighted mean over labelled
    samples, vertices and coordinates of ``(pred - target)^2``.
    """

    def forward(self, pred: Tensor, target: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        return self.loss_weight * masked_mean(((pred - target) ** 2).mean(-1), mask)


@MODELS.register_module()
class MaskedL1Loss(_WeightedLoss):
    """Mean absolute error per coordinate of point sets.

    ``forward(pred (B,N,C), target (B,N,C), mask=None (B,) or (B,N))`` -> weighted mean over
    labelled points and coordinates of ``|pred - target|``.
    """

    def forward(self, pred: Tensor, target: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        return self.loss_weight * masked_mean((pred - target).abs().mean(-1), mask)


@MODELS.register_module()
class VertexL1Loss(MaskedL1Loss):
    """L1 on root-relative mesh vertices (B, V, 3); see :class:`MaskedL1Loss`."""


@MODELS.register_module()
class JointL1Loss(MaskedL1Loss):
    """L1 on root-relative 3D joints (B, 21, 3); see :class:`MaskedL1Loss`."""


@MODELS.register_module()
class Joint2DL1Loss(MaskedL1Loss):
    """L1 on 2D joints (B, 21, 2) in normalised crop coordinates; see :class:`MaskedL1Loss`."""


@MODELS.register_module()
class NormalConsistencyLoss(_WeightedLoss):
    """``1 - cos`` between predicted and ground-truth face normals.

    ``forward(pred (B,V,3), target (B,V,3), faces (F,3), mask=None (B,))`` -> weighted mean
    over labelled samples and faces. Scale-free: it constrains the surface orientation only.
    """

    def forward(self, pred: Tensor, target: Tensor, faces: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        cos = (face_normals(pred, faces) * face_normals(target, faces)).sum(-1)
        return self.loss_weight * masked_mean(1 - cos, mask)

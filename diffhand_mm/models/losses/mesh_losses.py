"""Losses of DiffHand.

Two sets share the head's loss keys (docs/model.md, "Losses"): the paper's (Li et al. 2023,
Sec. 3.4: MSE on x0, vertices, 3D and 2D joints, and a normal term on the predicted faces'
edges against the ground-truth face normals) and ours (L1 on vertices and joints, and
``1 - cos`` between predicted and ground-truth face normals). A config picks per key.

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


def face_edges(vertices: Tensor, faces: Tensor) -> Tensor:
    """The three edges of every triangle: (B, V, 3), (F, 3) int64 -> (B, F, 3 edges, 3).

    Edges are v1 - v0, v2 - v1 and v0 - v2 in the face's vertex order.
    """
    tri = vertices[:, faces]  # (B, F, 3 corners, 3)
    return tri.roll(-1, dims=2) - tri


def face_normals(vertices: Tensor, faces: Tensor) -> Tensor:
    """Unit normals of triangles, right-handed in the face's vertex order.

    Args:
        vertices: (B, V, 3). faces: (F, 3) int64.

    Returns:
        Tensor: (B, F, 3) unit normals, ``(v1 - v0) x (v2 - v0)`` normalised (zero vector for
        degenerate faces).
    """
    edges = face_edges(vertices, faces)
    normal = torch.cross(edges[:, :, 0], -edges[:, :, 2], dim=-1)
    return F.normalize(normal, dim=-1, eps=1e-12)


class _WeightedLoss(nn.Module):
    """Holds ``loss_weight``."""

    def __init__(self, loss_weight: float = 1.0) -> None:
        super().__init__()
        self.loss_weight = loss_weight

    def extra_repr(self) -> str:
        return f'loss_weight={self.loss_weight}'


@MODELS.register_module()
class MaskedMSELoss(_WeightedLoss):
    """Mean squared error per coordinate of point sets.

    ``forward(pred (B,N,C), target (B,N,C), mask=None (B,) or (B,N))`` -> weighted mean over
    labelled points and coordinates of ``(pred - target)^2``.
    """

    def forward(self, pred: Tensor, target: Tensor, mask: Optional[Tensor] = None) -> Tensor:
        return self.loss_weight * masked_mean(((pred - target) ** 2).mean(-1), mask)


@MODELS.register_module()
class X0MSELoss(MaskedMSELoss):
    """Diffusion objective (paper eq. 6): MSE of the x0 prediction (B, V, 3), normalised units;
    see :class:`MaskedMSELoss`."""


@MODELS.register_module()
class VertexMSELoss(MaskedMSELoss):
    """The paper's vertex loss: MSE on root-relative vertices (B, V, 3)."""


@MODELS.register_module()
class JointMSELoss(MaskedMSELoss):
    """The paper's 3D joint loss: MSE on root-relative joints (B, 21, 3)."""


@MODELS.register_module()
class Joint2DMSELoss(MaskedMSELoss):
    """The paper's 2D joint loss: MSE on 2D joints (B, 21, 2), normalised crop coordinates."""


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


@MODELS.register_module()
class EdgeNormalLoss(_WeightedLoss):
    """The paper's normal term: predicted face edges against ground-truth face normals.

    ``mean over faces f and their three edges e of |<e_pred(f), n_gt(f)>|``, with ``n_gt`` the
    unit normal of the ground-truth face and ``e_pred`` the predicted edge, normalised to unit
    length when ``normalize_edges`` (as METRO and I2L-MeshNet do; the paper's equation did not
    survive in our copy). It is 0 when every predicted face is parallel to its ground-truth
    face, whatever the mesh's scale or position.

    ``forward(pred (B,V,3), target (B,V,3), faces (F,3), mask=None (B,))`` -> weighted mean
    over labelled samples, faces and edges.

    Args:
        loss_weight: Multiplier of the loss.
        normalize_edges: Divide each predicted edge by its length (a degenerate edge gives 0);
            False measures the out-of-plane component in the units of ``pred``.
    """

    def __init__(self, loss_weight: float = 1.0, normalize_edges: bool = True) -> None:
        super().__init__(loss_weight)
        self.normalize_edges = normalize_edges

    def forward(self, pred: Tensor, target: Tensor, faces: Tensor,
                mask: Optional[Tensor] = None) -> Tensor:
        edges = face_edges(pred, faces)  # (B, F, 3, 3)
        if self.normalize_edges:
            edges = F.normalize(edges, dim=-1, eps=1e-12)
        normals = face_normals(target, faces)[:, :, None]  # (B, F, 1, 3)
        per_face = (edges * normals).sum(-1).abs().mean(-1)  # (B, F)
        return self.loss_weight * masked_mean(per_face, mask)

    def extra_repr(self) -> str:
        return f'{super().extra_repr()}, normalize_edges={self.normalize_edges}'

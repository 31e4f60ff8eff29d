"""Choosing among diffusion hypotheses with joints read from the image.

DiffHand's paper selects "the mesh with the highest probability of being correct based on the
image itself". Here a small MLP reads the encoder's features (what the camera head reads: the
embedding and the feature map resized to a few cells) and predicts the 21 root-relative
joints: the image's *joint evidence* (trained with a Laplace likelihood: it also predicts,
per joint, the distance it expects to be off, so that joints the image cannot pin down, such
as hidden fingertips, weigh less in its training). Every hypothesis is then scored by how well its shape
agrees with that evidence and with the other hypotheses::

    score_k = consensus_weight * mean_{j != k} d(h_k, h_j) + evidence_weight * d(h_k, e)

where ``d(a, b)`` is the mean joint distance after similarity-aligning ``a`` onto ``b``
(rotation, scale, translation: shape is judged, not global rotation or size, as PA-MPJPE does)
and ``e`` the evidence. The lowest score wins. With equal weights the image's evidence counts
as much as all the other hypotheses together. Measured on the tiny SynthHand model
(docs/hypotheses.md), both terms help and their sum helps most; a mesh-space median of unaligned
samples (``ConsensusSelector``) does not help at all.

The MLP is fitted on frozen features after the model is trained
(``tools/fit_hypothesis_selector.py``), so the diffusion model's training is unchanged.
"""
from typing import Callable, Dict, Tuple

import torch
from torch import Tensor, nn

from diffhand_mm.registry import MODELS
from .camera import pooled_image_features
from .hypotheses import Features, HypothesisSelector

NUM_JOINTS = 21


def similarity_align(source: Tensor, target: Tensor, eps: float = 1e-9) -> Tensor:
    """Rotate, scale and translate ``source`` onto ``target`` (least squares, Umeyama 1991).

    Args:
        source: (..., P, 3) points.
        target: (..., P, 3) points, same shape.
        eps: Guards the division by the source's spread (a collapsed source stays collapsed).

    Returns:
        Tensor: ``c R (source - mean_s) + mean_t``, (..., P, 3), with a proper rotation
        (det R = +1; the official FreiHAND scoring also allows reflections) and scale c >= 0.
    """
    mean_s, mean_t = source.mean(-2, keepdim=True), target.mean(-2, keepdim=True)
    src, tgt = source - mean_s, target - mean_t
    u, sigma, vh = torch.linalg.svd(tgt.transpose(-1, -2) @ src)
    sign = torch.sign(torch.det(u @ vh))
    flip = torch.ones_like(sigma)
    flip[..., -1] = torch.where(sign == 0, torch.ones_like(sign), sign)
    rotation = u @ (flip[..., :, None] * vh)
    scale = (sigma * flip).sum(-1) / (src ** 2).sum((-1, -2)).clamp_min(eps)
    return scale[..., None, None] * src @ rotation.transpose(-1, -2) + mean_t


def aligned_joint_distance(source: Tensor, target: Tensor) -> Tensor:
    """Mean joint distance (...,) after :func:`similarity_align` of ``source`` (..., 21, 3)
    onto ``target`` (same shape); float64 inside, for stable SVDs of near-degenerate sets."""
    aligned = similarity_align(source.double(), target.double())
    return (aligned - target.double()).norm(dim=-1).mean(-1).to(source.dtype)


@MODELS.register_module()
class JointEvidenceSelector(HypothesisSelector):
    """Picks the hypothesis that agrees best with the image's joint evidence and the others.

    Args:
        in_channels: C of the encoder's feature map (filled in by the head).
        embed_dim: D of the encoder's embedding (filled in by the head).
        pool_size: Cells per side of the resized feature map.
        hidden_dim: MLP width.
        dropout: Dropout after each hidden layer (training only).
        vertex_scale: Metres per unit of the MLP's joint output (the head's signal scale).
        consensus_weight: Weight of the mean aligned distance to the other hypotheses.
        evidence_weight: Weight of the aligned distance to the joint evidence.
    """

    def __init__(self, in_channels: int, embed_dim: int, pool_size: int = 2,
                 hidden_dim: int = 256, dropout: float = 0.2, vertex_scale: float = 0.1,
                 consensus_weight: float = 1.0, evidence_weight: float = 1.0) -> None:
        super().__init__()
        if consensus_weight < 0 or evidence_weight < 0 or consensus_weight + evidence_weight <= 0:
            raise ValueError('JointEvidenceSelector: weights must be >= 0 and not both 0, got '
                             f'consensus_weight={consensus_weight}, '
                             f'evidence_weight={evidence_weight}')
        self.pool_size = pool_size
        self.vertex_scale = vertex_scale
        self.consensus_weight = consensus_weight
        self.evidence_weight = evidence_weight
        # Saved with the weights; False until tools/fit_hypothesis_selector.py has fitted the
        # MLP (a checkpoint without it, trained before the selector was, loads as unfitted).
        self.register_buffer('fitted', torch.zeros((), dtype=torch.bool))
        in_dim = embed_dim + in_channels * pool_size ** 2
        self.evidence_mlp = nn.Sequential(
            nn.LayerNorm(in_dim), nn.Linear(in_dim, hidden_dim), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden_dim, hidden_dim), nn.GELU(), nn.Dropout(dropout),
            nn.Linear(hidden_dim, NUM_JOINTS * 3 + NUM_JOINTS - 1))

    def image_features(self, feats: Features) -> Tensor:
        """What the MLP reads: (feature_map (B,C,h,w), embedding (B,D)) -> (B, D + C p^2)
        with p = ``pool_size`` (small enough to cache for a whole training set)."""
        return pooled_image_features(*feats, self.pool_size)

    def evidence(self, image_features: Tensor) -> Tuple[Tensor, Tensor]:
        """Joints read from the image, and how far off the MLP expects each to be.

        Args:
            image_features: (B, D + C p^2), :meth:`image_features`.

        Returns:
            tuple: ``joints`` (B, 21, 3) metres relative to the wrist (joint 0), OpenPose
            order, and ``log_scale`` (B, 20): the log of the expected distance of joints
            1..20, in units of ``vertex_scale`` (the wrist, the origin, has none).
        """
        out = self.evidence_mlp(image_features)
        joints = out[:, :NUM_JOINTS * 3].reshape(-1, NUM_JOINTS, 3) * self.vertex_scale
        return joints - joints[:, :1], out[:, NUM_JOINTS * 3:]

    def scores(self, feats: Features, hypotheses: Tensor,
               regress_joints: Callable[[Tensor], Tensor]) -> Tensor:
        batch, num = hypotheses.shape[:2]
        joints = regress_joints(hypotheses.flatten(0, 1)).reshape(batch, num, NUM_JOINTS, 3)
        scores = joints.new_zeros(batch, num)
        if self.evidence_weight > 0:
            if not self.fitted:
                raise RuntimeError(
                    'JointEvidenceSelector: its joint-evidence MLP was never fitted (the '
                    "checkpoint has no fitted 'head.hypothesis_selector'); run "
                    'tools/fit_hypothesis_selector.py, or set '
                    "model.head.hypothesis_selector=dict(type='ConsensusSelector')")
            evidence = self.evidence(self.image_features(feats))[0][:, None].expand_as(joints)
            scores = scores + self.evidence_weight * aligned_joint_distance(joints, evidence)
        if self.consensus_weight > 0 and num > 1:
            # (B, K, K): hypothesis k aligned onto hypothesis j; the diagonal is 0
            pairwise = aligned_joint_distance(
                joints[:, :, None].expand(-1, -1, num, -1, -1),
                joints[:, None].expand(-1, num, -1, -1, -1))
            scores = scores + self.consensus_weight * pairwise.sum(-1) / (num - 1)
        return scores

    def loss(self, image_features: Tensor, joints_3d: Tensor) -> Dict[str, Tensor]:
        """Laplace negative log-likelihood of the evidence's joint distances.

        Per joint 1..20 (the wrist is the origin of both): ``d / b + log b`` with ``d`` the
        distance to the ground truth and ``b`` the predicted scale, both in units of
        ``vertex_scale``; constant terms dropped. Measured on the tiny SynthHand model, this
        gave better evidence (and selection) than the plain mean distance (docs/hypotheses.md).

        Args:
            image_features: (B, D + C p^2), :meth:`image_features` of frozen features.
            joints_3d: (B, 21, 3) ground-truth joints, metres, any root.

        Returns:
            dict: ``loss_evidence`` (mean over joints and images) and ``evidence_error`` (no
            ``loss`` in the name: a log value), the mean distance of joints 1..20 in mm.
        """
        joints, log_scale = self.evidence(image_features)
        distance = (joints - (joints_3d - joints_3d[:, :1]))[:, 1:].norm(dim=-1)
        nll = distance / self.vertex_scale / log_scale.exp() + log_scale
        return dict(loss_evidence=nll.mean(), evidence_error=distance.mean().detach() * 1000)

"""Choosing one mesh among several diffusion samples, and their spread.

A selector is a registered module called by ``DiffusionMeshHead.predict`` when it samples
K > 1 hypotheses per image (config: ``head.hypothesis_selector``):
``selector(feats, hypotheses, regress_joints) -> (selected, index, spread)``. Rules:
:class:`ConsensusSelector` (no image evidence: the sample closest to the per-vertex median)
and :class:`~diffhand_mm.models.heads.joint_evidence.JointEvidenceSelector` (the sample whose
joints agree best with joints read from the image).
"""
import inspect
from typing import Callable, Tuple

import torch
from torch import Tensor, nn

from diffhand_mm.registry import MODELS

Features = Tuple[Tensor, Tensor]  # (feature_map (B,C,h,w), embedding (B,D))
Choice = Tuple[Tensor, Tensor, Tensor]  # selected (B,V,3), index (B,), spread (B,V)


def hypothesis_spread(hypotheses: Tensor) -> Tensor:
    """Per-vertex spread (B, V): ``sqrt(mean_k |x_kv - mean_k x_kv|^2)``, the RMS distance of
    the K hypotheses (B, K, V, 3) to their mean, in the input's units."""
    centred = hypotheses - hypotheses.mean(dim=1, keepdim=True)
    return (centred ** 2).sum(-1).mean(1).sqrt()


def take_hypotheses(hypotheses: Tensor, index: Tensor) -> Tensor:
    """Hypothesis ``index[b]`` of every image: (B, K, V, 3), (B,) -> (B, V, 3)."""
    return hypotheses[torch.arange(index.shape[0], device=index.device), index]


def select_consensus_hypothesis(hypotheses: Tensor) -> Choice:
    """Pick the hypothesis closest to the per-vertex median of all hypotheses.

    Rule: the consensus is the coordinate-wise median over the K hypotheses of every vertex
    (for even K, torch's lower middle value); the chosen hypothesis minimises the mean
    Euclidean vertex distance to it. It uses no image evidence, and on the tiny SynthHand
    model it is worse than one random sample (docs/hypotheses.md): the distance to a median
    of unaligned meshes favours compact, curled hands.

    Args:
        hypotheses: (B, K, V, 3).

    Returns:
        tuple: ``selected`` (B, V, 3), ``index`` (B,) int64 of the chosen hypothesis,
        ``spread`` (B, V), :func:`hypothesis_spread`.
    """
    consensus = hypotheses.median(dim=1).values  # (B, V, 3)
    distance = (hypotheses - consensus[:, None]).norm(dim=-1).mean(-1)  # (B, K)
    index = distance.argmin(dim=1)
    return take_hypotheses(hypotheses, index), index, hypothesis_spread(hypotheses)


class HypothesisSelector(nn.Module):
    """Base of the selectors: subclasses score the hypotheses, the lowest score is returned.

    ``forward(feats, hypotheses, regress_joints)`` with feats = (feature_map (B,C,h,w),
    embedding (B,D)), hypotheses (B, K, V, 3) root-relative metres and ``regress_joints``
    mapping vertices (N, V, 3) to joints (N, 21, 3); returns ``(selected (B,V,3), index (B,),
    spread (B,V))`` with the spread of :func:`hypothesis_spread`.
    """

    def scores(self, feats: Features, hypotheses: Tensor,
               regress_joints: Callable[[Tensor], Tensor]) -> Tensor:
        """(B, K) scores, lower is better."""
        raise NotImplementedError

    def forward(self, feats: Features, hypotheses: Tensor,
                regress_joints: Callable[[Tensor], Tensor]) -> Choice:
        index = self.scores(feats, hypotheses, regress_joints).argmin(dim=1)
        return take_hypotheses(hypotheses, index), index, hypothesis_spread(hypotheses)


@MODELS.register_module()
class ConsensusSelector(HypothesisSelector):
    """:func:`select_consensus_hypothesis` as a selector (reads no image evidence)."""

    def scores(self, feats: Features, hypotheses: Tensor,
               regress_joints: Callable[[Tensor], Tensor]) -> Tensor:
        consensus = hypotheses.median(dim=1).values
        return (hypotheses - consensus[:, None]).norm(dim=-1).mean(-1)


def build_hypothesis_selector(cfg: dict, in_channels: int, embed_dim: int) -> nn.Module:
    """Build a selector config, filling ``in_channels`` / ``embed_dim`` (the encoder's feature
    map channels and embedding size) for selectors that read the image."""
    cfg = dict(cfg)
    selector_type = cfg['type']
    cls = MODELS.get(selector_type) if isinstance(selector_type, str) else selector_type
    if cls is None:
        raise KeyError(f'hypothesis_selector: {selector_type!r} is not a registered model')
    parameters = inspect.signature(cls).parameters
    for name, value in (('in_channels', in_channels), ('embed_dim', embed_dim)):
        if name in parameters:
            cfg.setdefault(name, value)
    return MODELS.build(cfg)

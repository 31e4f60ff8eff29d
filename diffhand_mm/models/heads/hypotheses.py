"""Choosing one mesh among several diffusion samples, and their spread."""
from typing import Tuple

import torch
from torch import Tensor


def select_consensus_hypothesis(hypotheses: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """Pick the hypothesis closest to the per-vertex median of all hypotheses.

    Rule: the consensus is the coordinate-wise median over the K hypotheses of every vertex
    (for even K, torch's lower middle value); the chosen hypothesis minimises the mean
    Euclidean vertex distance to it. Why: the median is robust to a few stray samples, and
    returning an actual sample (a medoid) keeps a mesh the network produced, whose surface is
    coherent, which an averaged or median mesh need not be.

    The spread of vertex v is ``sqrt(mean_k |x_kv - mean_k x_kv|^2)``, the RMS distance of the
    hypotheses to their mean (in the input's units).

    Args:
        hypotheses: (B, K, V, 3).

    Returns:
        tuple: ``selected`` (B, V, 3), ``index`` (B,) int64 of the chosen hypothesis,
        ``spread`` (B, V).
    """
    consensus = hypotheses.median(dim=1).values  # (B, V, 3)
    distance = (hypotheses - consensus[:, None]).norm(dim=-1).mean(-1)  # (B, K)
    index = distance.argmin(dim=1)
    selected = hypotheses[torch.arange(index.shape[0], device=index.device), index]
    centred = hypotheses - hypotheses.mean(dim=1, keepdim=True)
    spread = (centred ** 2).sum(-1).mean(1).sqrt()
    return selected, index, spread


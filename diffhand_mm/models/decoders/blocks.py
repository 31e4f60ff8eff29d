"""Building blocks of the cross-modality decoder (DiffHand, Li et al. 2023, Sec. 3.3).

All blocks are pre-norm residual transformers over vertex tokens (B, N, dim).
"""
from typing import List

import torch
from torch import Tensor, nn

from .point_sampling import VertexHierarchy


def feed_forward(dim: int, ratio: int) -> nn.Sequential:
    """Two-layer GELU MLP dim -> ratio*dim -> dim."""
    return nn.Sequential(nn.Linear(dim, ratio * dim), nn.GELU(), nn.Linear(ratio * dim, dim))


class AttentionBlock(nn.Module):
    """Self-attention over vertices, add the global embedding g, cross-attention to the image.

    Args:
        dim: Token width.
        num_heads: Attention heads.
        ffn_ratio: Hidden width of the feed-forward layer, in multiples of ``dim``.
    """

    def __init__(self, dim: int, num_heads: int, ffn_ratio: int = 4) -> None:
        super().__init__()
        self.self_norm = nn.LayerNorm(dim)
        self.self_attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.condition_proj = nn.Linear(dim, dim)
        self.cross_norm = nn.LayerNorm(dim)
        self.cross_attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.ffn_norm = nn.LayerNorm(dim)
        self.ffn = feed_forward(dim, ffn_ratio)

    def forward(self, tokens: Tensor, condition: Tensor, image_tokens: Tensor) -> Tensor:
        """Args: tokens (B,N,dim); condition g (B,dim); image_tokens (B,h*w,dim) with positions.

        Returns: tokens (B,N,dim).
        """
        x = self.self_norm(tokens)
        tokens = tokens + self.self_attn(x, x, x, need_weights=False)[0]
        tokens = tokens + self.condition_proj(condition)[:, None]
        x = self.cross_norm(tokens)
        tokens = tokens + self.cross_attn(x, image_tokens, image_tokens, need_weights=False)[0]
        return tokens + self.ffn(self.ffn_norm(tokens))


class FeatureBlock(nn.Module):
    """Refines vertex features in feature space: full-resolution self-attention + MLP.

    Attention weights come from feature similarity, so every vertex can draw on any other
    vertex that looks alike (e.g. the same part of another finger), unlike the vertex block,
    whose pooling follows the template's geometry.

    Args:
        dim: Token width. num_heads: Attention heads. ffn_ratio: Feed-forward width ratio.
    """

    def __init__(self, dim: int, num_heads: int, ffn_ratio: int = 4) -> None:
        super().__init__()
        self.attn_norm = nn.LayerNorm(dim)
        self.attn = nn.MultiheadAttention(dim, num_heads, batch_first=True)
        self.ffn_norm = nn.LayerNorm(dim)
        self.ffn = feed_forward(dim, ffn_ratio)

    def forward(self, tokens: Tensor) -> Tensor:
        """tokens (B,N,dim) -> (B,N,dim)."""
        x = self.attn_norm(tokens)
        tokens = tokens + self.attn(x, x, x, need_weights=False)[0]
        return tokens + self.ffn(self.ffn_norm(tokens))


class VertexBlock(nn.Module):
    """U-shaped block over the vertex hierarchy.

    Down: at each level, an MLP on the finer features, max-pooled over each FPS point's group
    of nearest finer vertices, then an :class:`AttentionBlock`. Up: the coarse features are
    copied to each finer vertex from its nearest coarse point, concatenated with the lateral
    (skip) features of that level, passed through an MLP and added to the lateral features
    (residual), so the block's output is its input plus a correction.

    Args:
        dim: Token width. num_heads: Attention heads. num_levels: Downsamplings (must match
        the hierarchy). ffn_ratio: Feed-forward width ratio.
    """

    def __init__(self, dim: int, num_heads: int, num_levels: int, ffn_ratio: int = 4) -> None:
        super().__init__()
        self.down_mlps = nn.ModuleList(nn.Linear(dim, dim) for _ in range(num_levels))
        self.attn_blocks = nn.ModuleList(
            AttentionBlock(dim, num_heads, ffn_ratio) for _ in range(num_levels))
        self.up_mlps = nn.ModuleList(
            nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU(), nn.Linear(dim, dim))
            for _ in range(num_levels))

    def forward(self, tokens: Tensor, condition: Tensor, image_tokens: Tensor,
                hierarchy: VertexHierarchy) -> Tensor:
        """Args: tokens (B,N_0,dim); condition (B,dim); image_tokens (B,h*w,dim).

        Returns: tokens (B,N_0,dim).
        """
        laterals: List[Tensor] = []
        for level, (down, attn) in enumerate(zip(self.down_mlps, self.attn_blocks), start=1):
            laterals.append(tokens)
            _, group_idx, _ = hierarchy.level(level)
            grouped = torch.nn.functional.gelu(down(tokens[:, group_idx]))  # (B, N_l, k, dim)
            tokens = attn(grouped.amax(dim=2), condition, image_tokens)
        for level in range(len(self.up_mlps), 0, -1):
            _, _, upsample_idx = hierarchy.level(level)
            lateral = laterals[level - 1]
            upsampled = tokens[:, upsample_idx]
            tokens = lateral + self.up_mlps[level - 1](torch.cat([upsampled, lateral], dim=-1))
        return tokens

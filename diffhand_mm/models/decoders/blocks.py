"""Building blocks of the cross-modality decoder (DiffHand, Li et al. 2023, Sec. 3.3).

All blocks are pre-norm residual transformers over vertex tokens (B, N, dim).
"""
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
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

    def image_keys_values(self, image_tokens: Tensor) -> Tuple[Tensor, Tensor]:
        """Cross-attention keys and values of the image tokens.

        ``cross_attn``'s own key and value projections, split into heads. They depend only on
        the image, so the sampler computes them once per image instead of once per DDIM step
        and hypothesis.

        Args:
            image_tokens: (B, h*w, dim), with positions.

        Returns:
            tuple: keys and values, each (B, num_heads, h*w, dim / num_heads).
        """
        dim = image_tokens.shape[-1]
        weight, bias = self.cross_attn.in_proj_weight, self.cross_attn.in_proj_bias
        keys = F.linear(image_tokens, weight[dim:2 * dim], bias[dim:2 * dim])
        values = F.linear(image_tokens, weight[2 * dim:], bias[2 * dim:])
        return self._split_heads(keys), self._split_heads(values)

    def cross_attend(self, x: Tensor, keys: Tensor, values: Tensor) -> Tensor:
        """``cross_attn(x, image, image)`` with precomputed keys and values.

        Args:
            x: Normalised vertex tokens (B, N, dim). keys, values: from
            :meth:`image_keys_values`.

        Returns:
            Tensor: (B, N, dim).
        """
        dim = x.shape[-1]
        weight, bias = self.cross_attn.in_proj_weight, self.cross_attn.in_proj_bias
        queries = self._split_heads(F.linear(x, weight[:dim], bias[:dim]))
        attended = F.scaled_dot_product_attention(queries, keys, values)
        return self.cross_attn.out_proj(attended.transpose(1, 2).flatten(2))

    def _split_heads(self, x: Tensor) -> Tensor:
        """(B, L, dim) -> (B, num_heads, L, dim / num_heads)."""
        return x.unflatten(-1, (self.cross_attn.num_heads, -1)).transpose(1, 2)

    def forward(self, tokens: Tensor, condition: Tensor,
                image_keys_values: Tuple[Tensor, Tensor]) -> Tensor:
        """Args: tokens (B,N,dim); condition g (B,dim); image_keys_values from
        :meth:`image_keys_values` (the image tokens carry their positions).

        Returns: tokens (B,N,dim).
        """
        x = self.self_norm(tokens)
        tokens = tokens + self.self_attn(x, x, x, need_weights=False)[0]
        tokens = tokens + self.condition_proj(condition)[:, None]
        tokens = tokens + self.cross_attend(self.cross_norm(tokens), *image_keys_values)
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

    def image_keys_values(self, image_tokens: Tensor) -> Tuple[Tuple[Tensor, Tensor], ...]:
        """Cross-attention keys and values of every level's attention block (see
        :meth:`AttentionBlock.image_keys_values`)."""
        return tuple(attn.image_keys_values(image_tokens) for attn in self.attn_blocks)

    def forward(self, tokens: Tensor, condition: Tensor,
                image_keys_values: Sequence[Tuple[Tensor, Tensor]],
                hierarchy: VertexHierarchy) -> Tensor:
        """Args: tokens (B,N_0,dim); condition (B,dim); image_keys_values from
        :meth:`image_keys_values`.

        Returns: tokens (B,N_0,dim).
        """
        laterals: List[Tensor] = []
        levels = zip(self.down_mlps, self.attn_blocks, image_keys_values)
        for level, (down, attn, keys_values) in enumerate(levels, start=1):
            laterals.append(tokens)
            _, group_idx, _ = hierarchy.level(level)
            # MLP, then max-pool each group: the MLP runs on every finer token once, not once
            # per group it belongs to (the same numbers, about half the work).
            pooled = F.gelu(down(tokens))[:, group_idx].amax(dim=2)  # (B, N_l, dim)
            tokens = attn(pooled, condition, keys_values)
        for level in range(len(self.up_mlps), 0, -1):
            _, _, upsample_idx = hierarchy.level(level)
            lateral = laterals[level - 1]
            upsampled = tokens[:, upsample_idx]
            tokens = lateral + self.up_mlps[level - 1](torch.cat([upsampled, lateral], dim=-1))
        return tokens

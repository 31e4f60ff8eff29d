"""DiffHand's cross-modality decoder (Li et al. 2023, arXiv:2305.13705, Sec. 3.3)."""
from typing import Optional, Tuple

from torch import Tensor, nn

from diffhand_mm.registry import MODELS
from .base_decoder import BaseMeshDecoder
from .blocks import FeatureBlock, VertexBlock
from .point_sampling import VertexHierarchy


@MODELS.register_module()
class CrossModalityDecoder(BaseMeshDecoder):
    """Stack of cross-modality blocks, each a :class:`VertexBlock` then a :class:`FeatureBlock`.

    The vertex hierarchy (FPS levels, groups, upsampling maps) is computed once from the hand
    template and kept in non-persistent buffers; see :class:`VertexHierarchy`.

    Args:
        template_vertices: Hand template (V, 3) metres; its geometry fixes the hierarchy.
        in_channels: C of the encoder's feature map.
        embed_dim: D of the encoder's embedding.
        dim: Token width (paper-scale models: 256-512; the tiny config: 64).
        num_blocks: Cross-modality blocks (paper: 3).
        num_heads: Attention heads.
        ffn_ratio: Feed-forward width ratio.
        sample_rate: FPS downsampling factor per level (778 -> 195 -> 49 with 4).
        num_levels: Downsamplings in each vertex block.
        group_size: Finer vertices max-pooled into each coarse point.
        fps_start_index: Template vertex where FPS starts.
        init_cfg: MMEngine init config.
    """

    def __init__(self, template_vertices: Tensor, in_channels: int, embed_dim: int,
                 dim: int = 256, num_blocks: int = 3, num_heads: int = 8, ffn_ratio: int = 4,
                 sample_rate: int = 4, num_levels: int = 2, group_size: int = 8,
                 fps_start_index: int = 0, init_cfg: Optional[dict] = None) -> None:
        super().__init__(len(template_vertices), in_channels, embed_dim, dim,
                         use_image_tokens=True, init_cfg=init_cfg)
        self.hierarchy = VertexHierarchy(template_vertices, sample_rate, num_levels, group_size,
                                         fps_start_index)
        self.vertex_blocks = nn.ModuleList(
            VertexBlock(dim, num_heads, num_levels, ffn_ratio) for _ in range(num_blocks))
        self.feature_blocks = nn.ModuleList(
            FeatureBlock(dim, num_heads, ffn_ratio) for _ in range(num_blocks))

    def prepare_image_memory(self, image_tokens: Tensor) -> Tuple:
        """Per vertex block, per level: the cross-attention (keys, values) of the image tokens
        (B, h*w, dim), each (B, num_heads, h*w, dim / num_heads)."""
        return tuple(block.image_keys_values(image_tokens) for block in self.vertex_blocks)

    def decode(self, tokens: Tensor, condition: Tensor, image_memory: Tuple) -> Tensor:
        blocks = zip(self.vertex_blocks, self.feature_blocks, image_memory)
        for vertex_block, feature_block, keys_values in blocks:
            tokens = feature_block(vertex_block(tokens, condition, keys_values, self.hierarchy))
        return tokens

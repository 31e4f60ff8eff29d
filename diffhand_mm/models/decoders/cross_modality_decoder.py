"""DiffHand's cross-modality decoder (Li et al. 2023, arXiv:2305.13705, Sec. 3.3), and its
fast variant that denoises a coarse subset of the mesh."""
import math
from typing import Optional, Tuple

import torch
from torch import Tensor, nn

from diffhand_mm.registry import MODELS
from .base_decoder import BaseMeshDecoder
from .blocks import FeatureBlock, VertexBlock
from .mesh_upsampling import affine_upsampling
from .point_sampling import VertexHierarchy, farthest_point_sample


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
        template_faces: Unused (the :class:`CoarseCrossModalityDecoder` reads them);
            accepted so configs can swap decoders without other changes.
        init_cfg: MMEngine init config.
    """

    def __init__(self, template_vertices: Tensor, in_channels: int, embed_dim: int,
                 template_faces: Optional[Tensor] = None, dim: int = 256, num_blocks: int = 3, num_heads: int = 8, ffn_ratio: int = 4,
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


@MODELS.register_module()
class CoarseCrossModalityDecoder(CrossModalityDecoder):
    """The cross-modality decoder run on a coarse subset of the mesh: the fast DiffHand.

    The diffusion signal is the ``N = ceil(V / signal_rate)`` template vertices that farthest
    point sampling keeps (778 -> 195 at rate 4); the decoder's blocks (a
    :class:`CrossModalityDecoder` on that coarse template, with its own U-shaped hierarchy
    195 -> 49 -> 13) denoise them, and a fixed affine upsampling along the mesh surface
    (:func:`affine_upsampling`) rebuilds the V vertices. Every DDIM step and hypothesis then
    costs the blocks on N tokens instead of V; the upsampling runs once per sample, after the
    loop. Why this level: docs/benchmarks.md ("Where the diffusion runs").

    Args:
        template_vertices: Hand template (V, 3) metres.
        in_channels, embed_dim: Encoder sizes.
        template_faces: Template triangles (F, 3); the upsampling's neighbours are geodesic.
        signal_rate: FPS rate from the mesh to the signal.
        upsample_neighbours: Signal points each vertex is rebuilt from.
        dim, num_blocks, num_heads, ffn_ratio, sample_rate, num_levels, group_size,
        fps_start_index, init_cfg: As :class:`CrossModalityDecoder`, on the coarse template.
    """

    def __init__(self, template_vertices: Tensor, in_channels: int, embed_dim: int,
                 template_faces: Optional[Tensor] = None, dim: int = 128,
                 num_blocks: int = 3, num_heads: int = 4, ffn_ratio: int = 4,
                 signal_rate: int = 4, upsample_neighbours: int = 8, sample_rate: int = 4,
                 num_levels: int = 2, group_size: int = 8, fps_start_index: int = 0,
                 init_cfg: Optional[dict] = None) -> None:
        if template_faces is None or len(template_faces) == 0:
            raise ValueError('CoarseCrossModalityDecoder: template_faces are needed (the '
                             'upsampling follows the mesh surface); a point set without faces '
                             'cannot use it.')
        if signal_rate < 1:
            raise ValueError(f'CoarseCrossModalityDecoder: signal_rate must be >= 1, got '
                             f'{signal_rate}.')
        template = torch.as_tensor(template_vertices, dtype=torch.float32)
        signal_index = farthest_point_sample(
            template, math.ceil(len(template) / signal_rate), fps_start_index)
        super().__init__(template[signal_index], in_channels, embed_dim, dim=dim,
                         num_blocks=num_blocks, num_heads=num_heads, ffn_ratio=ffn_ratio,
                         sample_rate=sample_rate, num_levels=num_levels,
                         group_size=group_size, fps_start_index=0, init_cfg=init_cfg)
        self.num_vertices = len(template)
        index, weights = affine_upsampling(template, template_faces, signal_index,
                                           upsample_neighbours)
        # Derived from the template (non-persistent): checkpoints hold no mesh data.
        self.register_buffer('signal_index', signal_index, persistent=False)
        self.register_buffer('upsample_index', index, persistent=False)
        self.register_buffer('upsample_weights', weights, persistent=False)

    def signal_from_vertices(self, vertices: Tensor) -> Tensor:
        """(B, V, 3) -> the kept vertices (B, N, 3)."""
        return vertices[:, self.signal_index]

    def vertices_from_signal(self, signal: Tensor) -> Tensor:
        """(B, N, 3) -> (B, V, 3), the fixed affine upsampling."""
        return (signal[:, self.upsample_index] * self.upsample_weights[..., None]).sum(2)

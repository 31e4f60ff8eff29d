"""Mesh decoders: DiffHand's cross-modality decoder, its coarse (fast) variant and the vanilla
ablation decoder."""
from .base_decoder import BaseMeshDecoder
from .blocks import AttentionBlock, FeatureBlock, VertexBlock
from .cross_modality_decoder import CoarseCrossModalityDecoder, CrossModalityDecoder
from .embeddings import image_positional_encoding, sinusoidal_timestep_embedding
from .mesh_upsampling import affine_upsampling, geodesic_distances
from .point_sampling import VertexHierarchy, farthest_point_sample, nearest_indices
from .vanilla_decoder import VanillaMeshDecoder

__all__ = [
    'BaseMeshDecoder', 'CrossModalityDecoder', 'CoarseCrossModalityDecoder', 'affine_upsampling',
    'geodesic_distances', 'VanillaMeshDecoder', 'AttentionBlock',
    'FeatureBlock', 'VertexBlock', 'VertexHierarchy', 'farthest_point_sample', 'nearest_indices',
    'sinusoidal_timestep_embedding', 'image_positional_encoding'
]

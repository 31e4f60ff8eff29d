"""Mesh decoders: DiffHand's cross-modality decoder and the vanilla ablation decoder."""
from .base_decoder import BaseMeshDecoder
from .blocks import AttentionBlock, FeatureBlock, VertexBlock
from .cross_modality_decoder import CrossModalityDecoder
from .embeddings import image_positional_encoding, sinusoidal_timestep_embedding
from .point_sampling import VertexHierarchy, farthest_point_sample, nearest_indices
from .vanilla_decoder import VanillaMeshDecoder

__all__ = [
    'BaseMeshDecoder', 'CrossModalityDecoder', 'VanillaMeshDecoder', 'AttentionBlock',
    'FeatureBlock', 'VertexBlock', 'VertexHierarchy', 'farthest_point_sample', 'nearest_indices',
    'sinusoidal_timestep_embedding', 'image_positional_encoding'
]

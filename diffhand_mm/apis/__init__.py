"""Inference APIs: :class:`MeshInferencer` (images, arrays, folders, videos -> hand meshes)
and :class:`MeshWriter` (meshes, JSON, overlays, side views, overlay videos)."""
from .inferencer import (FrameResult, HandPrediction, MeshInferencer, build_test_pipeline,
                         default_intrinsics, init_model)
from .inputs import Frame, list_sources
from .writer import (MeshWriter, render_hands, render_side_views, uncertainty_colors,
                     uncertainty_scale, write_obj, write_ply)

__all__ = [
    'Frame', 'FrameResult', 'HandPrediction', 'MeshInferencer', 'MeshWriter',
    'build_test_pipeline', 'default_intrinsics', 'init_model', 'list_sources', 'render_hands',
    'render_side_views', 'uncertainty_colors', 'uncertainty_scale', 'write_obj', 'write_ply'
]

"""Visualisation: a registered mesh visualiser and the hook that calls it in val / test loops
(``tools/test.py --show-dir``)."""
from .hook import MeshVisualizationHook
from .mesh_visualizer import HAND_SKELETON, MeshVisualizer

__all__ = ['MeshVisualizer', 'MeshVisualizationHook', 'HAND_SKELETON']

"""Registered evaluation metrics of diffhand_mm."""
from .mesh_metric import MeshMetric

__all__ = ['MeshMetric']

"""Structures of diffhand_mm: the image-space helpers shared by packing and predictions."""
from .image_space import input_to_original_pixels, points_box

__all__ = ['input_to_original_pixels', 'points_box']

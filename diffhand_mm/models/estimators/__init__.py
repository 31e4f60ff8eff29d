"""Estimators: the DiffHand model."""
from .diffhand import IMAGENET_PREPROCESSOR, DiffHand, to_original_image

__all__ = ['DiffHand', 'to_original_image', 'IMAGENET_PREPROCESSOR']

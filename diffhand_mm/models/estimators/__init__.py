"""Estimators: the DiffHand model, and its few-step distillation."""
from .diffhand import IMAGENET_PREPROCESSOR, DiffHand, to_original_image
from .distillation import DistilledDiffHand

__all__ = ['DiffHand', 'DistilledDiffHand', 'to_original_image', 'IMAGENET_PREPROCESSOR']

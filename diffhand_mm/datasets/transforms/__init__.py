"""Transforms of diffhand_mm: loading, geometry that keeps 2D and 3D consistent, appearance,
packing."""
from .appearance import HandColorJitter, HandSyntheticOcclusion
from .formatting import PackHandInputs
from .geometric import FlipLeftToRight, HandCrop, HandRandomFlip, HandRandomRotate
from .loading import LoadHandImage

__all__ = [
    'LoadHandImage', 'HandCrop', 'HandRandomRotate', 'HandRandomFlip', 'FlipLeftToRight',
    'HandColorJitter', 'HandSyntheticOcclusion', 'PackHandInputs'
]

"""Datasets of diffhand_mm: FreiHAND (and SynthHand's output, same layout), DexYCB, HO-3D v2,
and the transforms that keep 2D and 3D labels consistent."""
from .base_hand_dataset import BaseHandDataset
from .dexycb import DexYCBDataset
from .freihand import FreiHANDDataset
from .ho3d import HO3DDataset
from .transforms import (FlipLeftToRight, HandColorJitter, HandCrop, HandRandomFlip,
                         HandRandomRotate, HandSyntheticOcclusion, LoadHandImage,
                         PackHandInputs)

__all__ = [
    'BaseHandDataset', 'FreiHANDDataset', 'DexYCBDataset', 'HO3DDataset', 'LoadHandImage',
    'HandCrop', 'HandRandomRotate', 'HandRandomFlip', 'FlipLeftToRight', 'HandColorJitter',
    'HandSyntheticOcclusion', 'PackHandInputs'
]

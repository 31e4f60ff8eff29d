"""Image encoders."""
from .timm_encoder import PretrainedWeightsUnavailable, TimmEncoder

__all__ = ['TimmEncoder', 'PretrainedWeightsUnavailable']

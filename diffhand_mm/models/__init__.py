"""Models: encoders, the diffusion mesh head, its decoder, diffusion and losses."""
from . import backbones, decoders, diffusion, estimators, heads, losses  # noqa: F401

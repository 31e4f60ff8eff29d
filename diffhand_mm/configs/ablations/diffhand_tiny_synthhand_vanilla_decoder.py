# Ablation (paper Table 4): diffusion with a vanilla decoder, i.e. plain self-attention over
# vertex tokens after summing the global and vertex embeddings (no U-shape, no cross-attention
# to the feature map). Width and depth chosen so the parameter count is close to the tiny
# cross-modality decoder's.
from mmengine.config import read_base

from diffhand_mm.models.decoders import VanillaMeshDecoder

with read_base():
    from ..diffhand_tiny_synthhand import *  # noqa: F401,F403

model.head.decoder = dict(type=VanillaMeshDecoder, dim=64, num_layers=6, num_heads=4,
                          ffn_ratio=2)

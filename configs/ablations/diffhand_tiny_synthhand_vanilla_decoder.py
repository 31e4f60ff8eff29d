# Ablation (paper Table 4): diffusion with a vanilla decoder, i.e. plain self-attention over
# vertex tokens after summing the global and vertex embeddings (no U-shape, no cross-attention
# to the feature map). Width and depth chosen so the parameter count is close to the tiny
# cross-modality decoder's.
_base_ = ['../diffhand_tiny_synthhand.py']
model = dict(head=dict(decoder=dict(_delete_=True, type='VanillaMeshDecoder', dim=64,
                                    num_layers=6, num_heads=4, ffn_ratio=2)))

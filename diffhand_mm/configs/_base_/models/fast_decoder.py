# The fast DiffHand's decoder (docs/model.md "The fast variant"): the cross-modality decoder run
# on the 195 vertices that farthest point sampling keeps (rate 4), which are the diffusion
# signal, with a fixed affine upsampling along the mesh surface to all 778. Width 96, FFN x2,
# the paper's 3 blocks: the largest of the variants measured that keeps 10 steps x 8
# hypotheses within 1.5x the FLOPs and CPU time of 1 x 1 with DeiT-III large
# (docs/benchmarks.md "Where the diffusion runs").
from diffhand_mm.models.decoders import CoarseCrossModalityDecoder

fast_decoder = dict(type=CoarseCrossModalityDecoder, dim=96, num_blocks=3, num_heads=4,
                    ffn_ratio=2, signal_rate=4, upsample_neighbours=8, sample_rate=4,
                    num_levels=2, group_size=8)

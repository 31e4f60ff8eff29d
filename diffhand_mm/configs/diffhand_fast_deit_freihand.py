# The fast DiffHand on FreiHAND: diffhand_deit_freihand.py (DeiT-III large, the paper's data,
# schedule and losses, MANO topology) with the coarse decoder: the diffusion runs on 195 of the
# 778 vertices, so 10 steps x 8 hypotheses cost at most 1.5x one step x one hypothesis
# (docs/benchmarks.md). The paper's decoder stays the default of diffhand_deit_freihand.py.
from mmengine.config import read_base

with read_base():
    from ._base_.models.fast_decoder import *  # noqa: F401,F403
    from .diffhand_deit_freihand import *  # noqa: F401,F403

model.head.decoder = fast_decoder

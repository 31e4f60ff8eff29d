# The fast DiffHand with the paper's DeiT-III large encoder: the model of
# diffhand_deit_large.py with the coarse decoder of fast_decoder.py (benchmarks, and the base of
# diffhand_fast_deit_freihand.py's model).
from mmengine.config import read_base

with read_base():
    from .diffhand_deit_large import *  # noqa: F401,F403
    from .fast_decoder import *  # noqa: F401,F403

model.head.decoder = fast_decoder

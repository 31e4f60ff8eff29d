# The fast DiffHand, tiny: the encoder of diffhand_tiny.py with the coarse decoder of
# fast_decoder.py.
from mmengine.config import read_base

with read_base():
    from .diffhand_tiny import *  # noqa: F401,F403
    from .fast_decoder import *  # noqa: F401,F403

model.head.decoder = fast_decoder

# The fast tiny DiffHand on SynthHand: diffhand_tiny_synthhand.py (mobilenetv3_small_050 at
# 128 px, same data, schedule and losses) with the coarse decoder of the fast DiffHand. Against
# the paper-decoder tiny config at equal training time: docs/learning_curves.md.
#   python tools/train.py configs/diffhand_fast_tiny_synthhand.py --work-dir work_dirs/fast_tiny
from mmengine.config import read_base

with read_base():
    from ._base_.models.fast_decoder import *  # noqa: F401,F403
    from .diffhand_tiny_synthhand import *  # noqa: F401,F403

model.head.decoder = fast_decoder

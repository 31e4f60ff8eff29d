# The fast tiny DiffHand on SynthHand: diffhand_tiny_synthhand.py (mobilenetv3_small_050 at
# 128 px, same data, schedule and losses) with the coarse decoder of the fast DiffHand. Against
# the paper-decoder tiny config at equal training time: docs/learning_curves.md.
#   python tools/train.py configs/diffhand_fast_tiny_synthhand.py --work-dir work_dirs/fast_tiny
from mmengine.config import read_base

from diffhand_mm.models.heads import JointEvidenceSelector

with read_base():
    from ._base_.models.fast_decoder import *  # noqa: F401,F403
    from .diffhand_tiny_synthhand import *  # noqa: F401,F403

model.head.decoder = fast_decoder
# With several hypotheses (test_cfg.num_hypotheses = K > 1; the quick start uses 8) the head
# returns the one that agrees best with the joints a small MLP reads from the image and with
# the other hypotheses (docs/hypotheses.md). The MLP is fitted after training, on the frozen
# model: tools/fit_hypothesis_selector.py.
model.head.hypothesis_selector = dict(type=JointEvidenceSelector)

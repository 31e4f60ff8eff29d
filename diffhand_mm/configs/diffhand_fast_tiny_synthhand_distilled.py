# Few-step sampling for the fast tiny DiffHand: distil a trained checkpoint of
# diffhand_fast_tiny_synthhand.py (the teacher, 10 DDIM steps) into a model that samples in
# one step (DistilledDiffHand, docs/model.md "The fast variant"; results with the teacher's
# training time counted: docs/learning_curves.md "Few-step distillation"):
#   python tools/train.py configs/diffhand_fast_tiny_synthhand_distilled.py \
#       --cfg-options model.teacher_checkpoint=TEACHER.pth [model.student_steps=2]
# The result is a plain DiffHand checkpoint: test it with this config, or with the teacher's
# and --cfg-options model.test_cfg.sampling_steps=1.
from mmengine.config import read_base

from diffhand_mm.models.estimators import DistilledDiffHand

with read_base():
    from .diffhand_fast_tiny_synthhand import *  # noqa: F401,F403

model.update(type=DistilledDiffHand, teacher_checkpoint=None, student_steps=1,
             teacher_steps=10)
model.test_cfg.sampling_steps = 1
# Only the decoder learns, starting from the teacher: a smaller learning rate.
optim_wrapper.optimizer.lr = 2e-4

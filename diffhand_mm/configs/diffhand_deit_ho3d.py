# DiffHand on HO-3D v2: DeiT-III large at 224 px (our choice; the paper's size is lost in our
# copy of its text), the paper's losses. Training meshes need MANO (data/mano).
# Testing writes work_dirs/ho3d_pred.json in the official format (labels are hidden); score it
# on the HO-3D server or with tools/eval_submission.py ho3d --gt <released gt> --pred <file>.
from mmengine.config import read_base

from diffhand_mm.hand import MANOHandModel

with read_base():
    from ._base_.datasets.ho3d import *  # noqa: F401,F403
    from ._base_.default_runtime import *  # noqa: F401,F403
    from ._base_.models.diffhand_deit_large import *  # noqa: F401,F403
    from ._base_.schedules.adamw_100e import *  # noqa: F401,F403

model.head.hand_model = dict(type=MANOHandModel, model_path='data/mano', side='right')
visualizer.hand_model = model.head.hand_model  # draws meshes in MANO's topology

# No labelled validation split: no validation, keep the last checkpoints instead of a best one.
train_cfg.update(val_interval=1000)  # never: more than max_epochs
val_cfg = None
default_hooks.checkpoint.save_best = None

# DiffHand on FreiHAND, the paper's main setting: DeiT-III large at 224 px, AdamW, batch 64,
# 100 epochs, loss weights 1 / 0.05 (docs/model.md). FreiHAND's labels are in MANO's topology,
# so the head uses MANO (user-supplied: data/mano/MANO_RIGHT.pkl; a clear error says where to
# put it when missing). ImageNet weights: pretrained=True with internet, or a local file with
#   --cfg-options model.backbone.checkpoint=/path/to/deit3_large_patch16_224.pth
from mmengine.config import read_base

from diffhand_mm.hand import MANOHandModel

with read_base():
    from ._base_.datasets.freihand import *  # noqa: F401,F403
    from ._base_.default_runtime import *  # noqa: F401,F403
    from ._base_.models.diffhand_deit_large import *  # noqa: F401,F403
    from ._base_.schedules.adamw_100e import *  # noqa: F401,F403

model.backbone.update(pretrained=False, drop_path_rate=0.1)
model.head.hand_model = dict(type=MANOHandModel, model_path='data/mano', side='right')

# DiffHand on DexYCB (s0) with the HRNet-W64 encoder (timm's hrnet_w64: 2048 x 7 x 7 map).
# Meshes need MANO (data/mano); without it, set the dataset's mano=None and the metric's
# skip_vertices=True for joint metrics only (docs/datasets.md).
from mmengine.config import read_base

from diffhand_mm.hand import MANOHandModel

with read_base():
    from ._base_.datasets.dexycb import *  # noqa: F401,F403
    from ._base_.default_runtime import *  # noqa: F401,F403
    from ._base_.models.diffhand_hrnet_w64 import *  # noqa: F401,F403
    from ._base_.schedules.adamw_100e import *  # noqa: F401,F403

model.head.hand_model = dict(type=MANOHandModel, model_path='data/mano', side='right')
visualizer.hand_model = model.head.hand_model  # draws meshes in MANO's topology

# The tiny SynthHand model trained with the paper's loss set instead of ours (docs/model.md
# "Losses"): MSE on vertices and joints (3D and 2D) and the edge-normal term, same weights;
# compared with ours at equal training time in docs/learning_curves.md.
from mmengine.config import read_base

from diffhand_mm.models.losses import EdgeNormalLoss, Joint2DMSELoss, JointMSELoss, VertexMSELoss

with read_base():
    from ..diffhand_tiny_synthhand import *  # noqa: F401,F403

model.head.update(
    loss_vertex=dict(type=VertexMSELoss, loss_weight=1.0),
    loss_joint=dict(type=JointMSELoss, loss_weight=1.0),
    loss_joint_2d=dict(type=Joint2DMSELoss, loss_weight=0.05),
    loss_normal=dict(type=EdgeNormalLoss, loss_weight=0.05))

# The depth branch joined after the encoder's stem instead of at its feature map (the join
# comparison of the project's README): every encoder stage, the feature map and the embedding
# see the depth. Strides 2, 1, 1: the stem's output is at half the input resolution.
from mmengine.config import read_base

with read_base():
    from ..diffhand_tiny_synthhand_depth_ft import *  # noqa: F401,F403

model.update(join='backbone.model.bn1', depth_branch=dict(strides=(2, 1, 1)))

# The depth branch joined at the encoder's feature map F (288 x 4 x 4) instead of after its
# stem (the join comparison of the project's README): the decoder's cross-attention and the
# camera head see the depth, the embedding e (computed before) does not.
from mmengine.config import read_base

with read_base():
    from ..diffhand_tiny_synthhand_depth_ft import *  # noqa: F401,F403

model.update(join='backbone', depth_branch=dict(strides=(2, 2, 2)))

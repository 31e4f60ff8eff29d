# The depth branch joined after the encoder's stem instead of at its feature map (the join
# comparison of the project's README): every encoder stage, the feature map and the embedding
# see the depth. Stride 2 only: the stem's output is at half the input resolution.
_base_ = ['../diffhand_tiny_synthhand_depth_ft.py']
model = dict(join='backbone.model.bn1', depth_branch=dict(strides=(2, 1, 1)))

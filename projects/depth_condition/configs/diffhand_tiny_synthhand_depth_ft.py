# Fine-tune the shipped tiny DiffHand on SynthHand WITH a depth condition (the paper's Sec. 3.3
# "Extra condition", Table 5 "depth"): a zero-initialised convolutional branch fed with the
# rendered depth, degraded to look like a monocular estimate (see the project's README).
#   PYTHONPATH=projects/depth_condition python tools/train.py \
#       projects/depth_condition/configs/diffhand_tiny_synthhand_depth_ft.py \
#       --work-dir work_dirs/depth_ft
from mmengine.config import read_base

from depth_condition import (DepthConditionedDiffHand, LoadDepthCondition, PackRGBDInputs,
                             RenderedDepthSource, RGBDDataPreprocessor)
from diffhand_mm.datasets.transforms import (HandColorJitter, HandCrop, HandRandomRotate,
                                             LoadHandImage)

with read_base():
    from .diffhand_tiny_synthhand_ft import *  # noqa: F401,F403

# The project's package (on PYTHONPATH: projects/depth_condition); its classes are also
# imported above, so every type below is a class and builds from diffhand_mm's default scope.
custom_imports = dict(imports=['depth_condition'], allow_failed_imports=False)

depth_source = dict(type=RenderedDepthSource, downsample=4, blur_sigma=2.0)
# With official MiDaS weights instead (much slower on a CPU; see the README):
# depth_source = dict(type=MidasDepthSource, weights='data/midas/dpt_large_384.pt')

model.update(
    type=DepthConditionedDiffHand,
    data_preprocessor=dict(type=RGBDDataPreprocessor, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], depth_mean=0.5, depth_std=0.25,
                           bgr_to_rgb=True),
    # Stride 2 once: the stem's output is at half the input resolution.
    depth_branch=dict(widths=(16, 32, 64), strides=(2, 1, 1), zero_init='join'),
    # Where the branch joins, chosen by measurement (README): 'backbone.model.bn1', after the
    # encoder's stem, so every encoder stage, the feature map and the embedding see the depth;
    # ablations/..._feature_map.py joins at the encoder's feature map ('backbone') instead.
    join='backbone.model.bn1',
    freeze_base=False)

train_pipeline = [
    dict(type=LoadHandImage),
    dict(type=HandCrop, input_size=input_size, padding=1.6, shift_jitter=0.2, scale_jitter=0.3),
    dict(type=HandRandomRotate, max_angle_deg=45.0, prob=0.5),
    dict(type=LoadDepthCondition, source=depth_source),
    dict(type=HandColorJitter, brightness=0.2, contrast=0.2, saturation=0.2),
    dict(type=PackRGBDInputs),
]
test_pipeline = [
    dict(type=LoadHandImage),
    dict(type=HandCrop, input_size=input_size, padding=1.6),
    dict(type=LoadDepthCondition, source=depth_source),
    dict(type=PackRGBDInputs),
]
# The base checkpoint is a DiffHand without the branch: the strict loading check (default
# runtime) lets the branch's weights be missing, and skips the comparison of the model config
# (the model type differs by design); every other weight must still match exactly.
default_hooks.strict_load.update(allowed_missing=[r'^depth_branch\.'], check_config=False)

train_dataloader.dataset.pipeline = train_pipeline
val_dataloader.dataset.pipeline = test_pipeline
test_dataloader = val_dataloader

# SynthHand: our synthetic hands in FreiHAND's exact layout, written by
#   python tools/dataset_converters/make_synthhand.py --out data/synthhand --num-train N --num-test M
# The FreiHAND loader reads it; single-version output is allowed (skip_missing_versions).
from mmengine.dataset import DefaultSampler, InfiniteSampler

from diffhand_mm.datasets import FreiHANDDataset
from diffhand_mm.datasets.transforms import (HandColorJitter, HandCrop, HandRandomRotate,
                                             LoadHandImage, PackHandInputs)
from diffhand_mm.evaluation import MeshMetric

dataset_type = FreiHANDDataset
data_root = 'data/synthhand'
input_size = (128, 128)

train_pipeline = [
    dict(type=LoadHandImage),
    # Wider than FreiHAND-style crops (1.3 +- 15%): side 1.6 x the box +- 30%, centre moved by up
    # to 20% of the side, so that the model also finds the hand in whole images (the quick
    # start's demo: there the box is 0.45-0.85 of the image side, up to 0.29 off-centre).
    dict(type=HandCrop, input_size=input_size, padding=1.6, shift_jitter=0.2, scale_jitter=0.3),
    dict(type=HandRandomRotate, max_angle_deg=45.0, prob=0.5),
    dict(type=HandColorJitter, brightness=0.2, contrast=0.2, saturation=0.2),
    dict(type=PackHandInputs),
]
test_pipeline = [
    dict(type=LoadHandImage),
    dict(type=HandCrop, input_size=input_size, padding=1.6),
    dict(type=PackHandInputs),
]

train_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    # Iteration-based schedules: an infinite sampler never restarts the loader mid-run.
    sampler=dict(type=InfiniteSampler, shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='training',
                 skip_missing_versions=True, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=16,
    num_workers=1,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type=DefaultSampler, shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='evaluation', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type=MeshMetric, mode='freihand', prefix='mesh')
test_evaluator = val_evaluator

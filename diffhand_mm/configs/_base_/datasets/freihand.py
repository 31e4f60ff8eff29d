# FreiHAND (Zimmermann et al., ICCV 2019): 4 x 32,560 training images, 3,960 evaluation images.
# Lay the official release out under data/freihand (see docs/datasets.md).
from mmengine.dataset import DefaultSampler

from diffhand_mm.datasets import FreiHANDDataset
from diffhand_mm.datasets.transforms import (HandColorJitter, HandCrop, HandRandomRotate,
                                             HandSyntheticOcclusion, LoadHandImage,
                                             PackHandInputs)
from diffhand_mm.evaluation import MeshMetric

dataset_type = FreiHANDDataset
data_root = 'data/freihand'
input_size = (224, 224)

train_pipeline = [
    dict(type=LoadHandImage),
    dict(type=HandCrop, input_size=input_size, padding=1.3, shift_jitter=0.1, scale_jitter=0.25),
    dict(type=HandRandomRotate, max_angle_deg=60.0, prob=0.5),
    dict(type=HandColorJitter, brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type=HandSyntheticOcclusion, prob=0.3),
    dict(type=PackHandInputs),
]
test_pipeline = [
    dict(type=LoadHandImage),
    dict(type=HandCrop, input_size=input_size, padding=1.3),
    dict(type=PackHandInputs),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=DefaultSampler, shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='training',
                 pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type=DefaultSampler, shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='evaluation', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(type=MeshMetric, mode='freihand', prefix='mesh')
test_evaluator = val_evaluator

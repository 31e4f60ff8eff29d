# DexYCB (Chao et al., CVPR 2021), setup s0, with the mesh papers' filtering of invalid frames.
# Lay the release out under data/dexycb (docs/datasets.md). Meshes need MANO (user-supplied,
# data/mano/MANO_RIGHT.pkl and MANO_LEFT.pkl): left hands are flipped to right in the pipeline.
from mmengine.dataset import DefaultSampler

from diffhand_mm.datasets import DexYCBDataset
from diffhand_mm.datasets.transforms import (FlipLeftToRight, HandColorJitter, HandCrop,
                                             HandRandomRotate, LoadHandImage, PackHandInputs)
from diffhand_mm.evaluation import MeshMetric
from diffhand_mm.hand import MANOHandModel

dataset_type = DexYCBDataset
data_root = 'data/dexycb'
input_size = (224, 224)
mano_models = dict(
    right=dict(type=MANOHandModel, model_path='data/mano', side='right'),
    left=dict(type=MANOHandModel, model_path='data/mano', side='left'))

train_pipeline = [
    dict(type=LoadHandImage),
    dict(type=FlipLeftToRight),
    dict(type=HandCrop, input_size=input_size, padding=1.3, shift_jitter=0.1, scale_jitter=0.25),
    dict(type=HandRandomRotate, max_angle_deg=60.0, prob=0.5),
    dict(type=HandColorJitter, brightness=0.3, contrast=0.3, saturation=0.3),
    dict(type=PackHandInputs),
]
test_pipeline = [
    dict(type=LoadHandImage),
    dict(type=FlipLeftToRight),
    dict(type=HandCrop, input_size=input_size, padding=1.3),
    dict(type=PackHandInputs),
]

train_dataloader = dict(
    batch_size=64,
    num_workers=8,
    persistent_workers=True,
    sampler=dict(type=DefaultSampler, shuffle=True),
    dataset=dict(type=dataset_type, data_root=data_root, split='train', setup='s0',
                 mano=mano_models, cache_dir='data/cache', pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type=DefaultSampler, shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='test', setup='s0',
                 mano=mano_models, cache_dir='data/cache', test_mode=True,
                 pipeline=test_pipeline))
test_dataloader = val_dataloader
# Root-relative errors (joint 0), as DexYCB mesh papers report them.
val_evaluator = dict(type=MeshMetric, mode='dexycb', prefix='mesh')
test_evaluator = val_evaluator

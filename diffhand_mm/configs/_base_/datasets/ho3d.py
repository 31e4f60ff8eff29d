# HO-3D v2 (Hampali et al., CVPR 2020). Lay the release out under data/ho3d (docs/datasets.md).
# Training meshes need MANO (user-supplied, data/mano/MANO_RIGHT.pkl). The evaluation split's
# labels are hidden: testing writes the official pred.json for the HO-3D server (or for
# tools/eval_submission.py ho3d with the released ground truth).
from mmengine.dataset import DefaultSampler

from diffhand_mm.datasets import HO3DDataset
from diffhand_mm.datasets.transforms import (HandColorJitter, HandCrop, HandRandomRotate,
                                             HandSyntheticOcclusion, LoadHandImage,
                                             PackHandInputs)
from diffhand_mm.evaluation import MeshMetric
from diffhand_mm.hand import MANOHandModel

dataset_type = HO3DDataset
data_root = 'data/ho3d'
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
    dataset=dict(type=dataset_type, data_root=data_root, split='train',
                 mano=dict(type=MANOHandModel, model_path='data/mano', side='right'),
                 cache_dir='data/cache', pipeline=train_pipeline))
test_dataloader = dict(
    batch_size=64,
    num_workers=4,
    persistent_workers=True,
    drop_last=False,
    sampler=dict(type=DefaultSampler, shuffle=False, round_up=False),
    dataset=dict(type=dataset_type, data_root=data_root, split='evaluation', test_mode=True,
                 cache_dir='data/cache', pipeline=test_pipeline))
test_evaluator = dict(type=MeshMetric, mode='ho3d', prefix='mesh', format_only=True,
                      submission=dict(format='ho3d', out_file='work_dirs/ho3d_pred.json'))
# No validation split with labels: validate on nothing, keep the last checkpoints.
val_dataloader = None
val_evaluator = None

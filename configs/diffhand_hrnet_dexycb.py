# DiffHand on DexYCB (s0) with the HRNet-W64 encoder (timm's hrnet_w64: 2048 x 7 x 7 map).
# Meshes need MANO (data/mano); without it, set the dataset's mano=None and the metric's
# skip_vertices=True for joint metrics only (docs/datasets.md).
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/dexycb.py',
    './_base_/models/diffhand_hrnet_w64.py',
    './_base_/schedules/adamw_100e.py',
]

model = dict(head=dict(hand_model=dict(type='MANOHandModel', model_path='data/mano',
                                       side='right')))

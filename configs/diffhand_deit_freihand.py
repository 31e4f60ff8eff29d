# DiffHand on FreiHAND, the paper's main setting: DeiT-III large at 224 px, AdamW, batch 64,
# 100 epochs, loss weights 1 / 0.05 (docs/model.md). FreiHAND's labels are in MANO's topology,
# so the head uses MANO (user-supplied: data/mano/MANO_RIGHT.pkl; a clear error says where to
# put it when missing). ImageNet weights: pretrained=True with internet, or a local file with
#   --cfg-options model.backbone.checkpoint=/path/to/deit3_large_patch16_224.pth
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/freihand.py',
    './_base_/models/diffhand_deit_large.py',
    './_base_/schedules/adamw_100e.py',
]

model = dict(
    backbone=dict(pretrained=False, drop_path_rate=0.1),
    head=dict(hand_model=dict(type='MANOHandModel', model_path='data/mano', side='right')))

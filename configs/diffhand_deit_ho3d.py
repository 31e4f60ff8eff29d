# DiffHand on HO-3D v2: DeiT-III large at 224 px. Training meshes need MANO (data/mano).
# Testing writes work_dirs/ho3d_pred.json in the official format (labels are hidden); score it
# on the HO-3D server or with tools/eval_submission.py ho3d --gt <released gt> --pred <file>.
_base_ = [
    './_base_/default_runtime.py',
    './_base_/datasets/ho3d.py',
    './_base_/models/diffhand_deit_large.py',
    './_base_/schedules/adamw_100e.py',
]

model = dict(head=dict(hand_model=dict(type='MANOHandModel', model_path='data/mano',
                                       side='right')))

# No labelled validation split: no validation, keep the last checkpoints instead of a best one.
train_cfg = dict(val_interval=1000)  # never: more than max_epochs
val_cfg = None
default_hooks = dict(checkpoint=dict(save_best=None))

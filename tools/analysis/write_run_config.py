"""Write the config of one run of the SynthHand comparisons (learning curves, distillation).

The run inherits an experiment config of the package and trains it on the comparisons'
SynthHand files, with loaders in the process (one thread each), validation on the first 64
test images every 150 iterations, a constant learning rate after a 50-iteration warm-up, and
``TrainTimeBudgetHook`` stopping it after ``--budget`` seconds of training. For a
distillation config (``DistilledDiffHand``), ``--teacher-checkpoint`` and ``--student-steps``
set the teacher and the student's steps.

Example:
    python tools/analysis/write_run_config.py configs/diffhand_fast_tiny_synthhand.py \\
        work_dirs/lc/fast/run_config.py --data data/synthhand_lc --budget 1800
"""
import argparse
import os
import os.path as osp

TEMPLATE = '''from mmengine.config import read_base
from mmengine.optim import ConstantLR, LinearLR

from diffhand_mm.engine import TrainTimeBudgetHook

with read_base():
    from {module} import *  # noqa: F401,F403

_loader = dict(num_workers=0, persistent_workers=False)
train_dataloader.update(dataset=dict(data_root='{data}'), **_loader)
# validate on the first 64 test images during training; the final test uses all 200
val_dataloader.update(dataset=dict(data_root='{data}', indices=64), **_loader)
test_dataloader.update(dataset=dict(data_root='{data}', indices=None), **_loader)
train_cfg.update(max_iters=1000000, val_interval=150)
param_scheduler = [
    dict(type=LinearLR, start_factor=0.1, by_epoch=False, begin=0, end=50),
    dict(type=ConstantLR, factor=1.0, by_epoch=False, begin=50),
]
default_hooks.checkpoint.update(interval=150, save_best=None)
custom_hooks = [dict(type=TrainTimeBudgetHook, budget_seconds={budget})]
'''
DISTILLATION = '''model.update(teacher_checkpoint='{teacher}', student_steps={steps})
model.test_cfg.sampling_steps = {steps}
'''


def config_module(path: str) -> str:
    """``configs/x/y.py`` -> ``diffhand_mm.configs.x.y`` (pure-Python configs are imported by
    package, their relative imports resolve from their own folder)."""
    path = osp.normpath(path)
    if not path.startswith('configs' + os.sep) or not path.endswith('.py'):
        raise ValueError(f'write_run_config: {path!r} is not a .py file under configs/.')
    return 'diffhand_mm.' + path[:-3].replace(os.sep, '.')


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='experiment config under configs/')
    parser.add_argument('out', help='run config to write')
    parser.add_argument('--data', required=True, help='SynthHand folder')
    parser.add_argument('--budget', type=float, required=True, help='training seconds')
    parser.add_argument('--lr', type=float, help='learning rate (default: the config\'s)')
    parser.add_argument('--teacher-checkpoint',
                        help='for a distillation config: the trained model to distil')
    parser.add_argument('--student-steps', type=int, default=1,
                        help='DDIM steps of the distilled sampler')
    args = parser.parse_args(argv)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    with open(args.out, 'w') as f:
        f.write(TEMPLATE.format(module=config_module(args.config), data=args.data,
                                budget=args.budget))
        if args.lr is not None:
            f.write(f'optim_wrapper.optimizer.lr = {args.lr}\n')
        if args.teacher_checkpoint:
            f.write(DISTILLATION.format(teacher=args.teacher_checkpoint,
                                        steps=args.student_steps))


if __name__ == '__main__':
    main()

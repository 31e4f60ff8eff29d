"""Train a model from a config, MMPose-style.

Example:
    python tools/train.py configs/diffhand_tiny_synthhand.py --work-dir work_dirs/tiny
    python tools/train.py CONFIG --resume              # latest checkpoint in the work dir
    python tools/train.py CONFIG --resume ckpt.pth     # a given checkpoint
    python tools/train.py CONFIG --time-budget 600     # 10 minutes of training, then stop
    bash tools/dist_train.sh CONFIG 2                  # 2 processes (GPUs, or gloo on CPU)
    bash tools/dist_train.sh CONFIG 8 --strategy fsdp  # FlexibleRunner, sharded (docs/distributed.md)
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

import diffhand_mm  # noqa: F401  (registries and the resume-safe checkpoint loader)
from diffhand_mm.utils.cli import add_debug_argument, run_tool
from diffhand_mm.utils.dist import (exit_finished_distributed_process, finish_distributed,
                                    prepare_distributed)
from diffhand_mm.utils.threads import add_threads_argument, configure_threads
from diffhand_mm.utils.strategy import add_strategy_argument, apply_strategy, build_runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a diffhand_mm model')
    parser.add_argument('config', help='train config file path')
    parser.add_argument('--work-dir', help='the dir to save logs and models')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from the given checkpoint, or without a path from the latest checkpoint '
        'in the work dir')
    parser.add_argument('--amp', action='store_true', help='automatic mixed precision (GPU)')
    parser.add_argument('--no-validate', action='store_true',
                        help='do not evaluate checkpoints during training')
    parser.add_argument(
        '--time-budget', type=float, metavar='SECONDS',
        help='stop training after this many seconds of training iterations (validation '
        'excluded), then validate and save the last checkpoint as at max_iters')
    parser.add_argument('--auto-scale-lr', action='store_true',
                        help='scale the learning rate by the actual batch size')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value pairs, e.g. train_cfg.max_iters=10')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    add_threads_argument(parser)
    add_strategy_argument(parser)
    # torchrun passes --local-rank (older launchers --local_rank)
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    add_debug_argument(parser)
    args = parser.parse_args()
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def merge_args(cfg: Config, args: argparse.Namespace) -> Config:
    """Apply command-line options to the config."""
    if args.work_dir is not None:
        cfg.work_dir = args.work_dir
    elif cfg.get('work_dir') is None:
        cfg.work_dir = osp.join('./work_dirs', osp.splitext(osp.basename(args.config))[0])

    if args.amp:
        import torch
        if not torch.cuda.is_available():
            raise SystemExit('--amp needs a CUDA device (MMEngine AmpOptimWrapper); none found.')
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')

    if args.resume == 'auto':
        cfg.resume = True
        cfg.load_from = None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise SystemExit(f'--resume: checkpoint {args.resume!r} does not exist.')
        cfg.resume = True
        cfg.load_from = args.resume

    if getattr(args, 'strategy', None):
        apply_strategy(cfg, args.strategy)
    if args.auto_scale_lr:
        cfg.auto_scale_lr = dict(cfg.get('auto_scale_lr', {}), enable=True)
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    if args.auto_scale_lr and not cfg.auto_scale_lr.get('base_batch_size'):
        raise SystemExit(f'--auto-scale-lr: {args.config} does not say the total batch size its '
                         'learning rate is meant for; add auto_scale_lr = dict(base_batch_size=N).')
    if getattr(args, 'no_validate', False):  # after the options, which may address val_*
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
    # After --cfg-options, so that a custom_hooks=... there does not drop it.
    time_budget = getattr(args, 'time_budget', None)
    if time_budget is not None:
        if time_budget <= 0:
            raise SystemExit(f'--time-budget must be positive, got {time_budget}.')
        cfg.custom_hooks = list(cfg.get('custom_hooks', [])) + [
            # prefixed: found from any scope, and dumpable in old-style configs (a class is not)
            dict(type='diffhand_mm.TrainTimeBudgetHook', budget_seconds=time_budget)]
    return cfg


def main() -> None:
    args = parse_args()
    configure_threads(args.threads)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    prepare_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    try:
        runner.train()
    except BaseException:
        finish_distributed()
        raise
    exit_finished_distributed_process(finish_distributed())


if __name__ == '__main__':
    run_tool(main)

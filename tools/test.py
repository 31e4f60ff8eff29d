"""Evaluate a checkpoint on a config's test set, MMPose-style.

Example:
    python tools/test.py configs/diffhand_tiny_synthhand.py work_dirs/tiny/iter_300.pth
    python tools/test.py CONFIG CKPT --dump results.pkl
    python tools/test.py CONFIG CKPT --cfg-options model.test_cfg.sampling_steps=5
    bash tools/dist_test.sh CONFIG CKPT 2
"""
import argparse
import os
import os.path as osp

from mmengine.config import Config, DictAction

import diffhand_mm  # noqa: F401  (registries and the resume-safe checkpoint loader)
from diffhand_mm.engine import MetricsFileHook
from diffhand_mm.utils.cli import add_debug_argument, run_tool
from diffhand_mm.utils.dist import (exit_finished_distributed_process, finish_distributed,
                                    prepare_distributed)
from diffhand_mm.utils.threads import add_threads_argument, configure_threads
from diffhand_mm.utils.strategy import add_strategy_argument, apply_strategy, build_runner


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test (and evaluate) a diffhand_mm model')
    parser.add_argument('config', help='test config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='the directory to save evaluation logs')
    parser.add_argument('--dump', type=str,
                        help='dump predictions to a pickle file (.pkl) for offline evaluation')
    parser.add_argument('--out', help='write the metrics to this file (.json/.yaml/.pkl)')
    parser.add_argument('--show-dir', help='draw predictions into this folder (under the '
                        'work dir / timestamp, as MMPose)')
    parser.add_argument('--show', action='store_true', help='show drawings in a window')
    parser.add_argument('--interval', type=int, default=1, help='draw every N-th sample')
    parser.add_argument('--wait-time', type=float, default=1, help='seconds per shown drawing')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction,
        help='override settings in the config, key=value pairs')
    parser.add_argument('--launcher', choices=['none', 'pytorch', 'slurm', 'mpi'],
                        default='none', help='job launcher')
    add_threads_argument(parser)
    add_strategy_argument(parser)
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
    if not osp.isfile(args.checkpoint):
        raise SystemExit(f'checkpoint {args.checkpoint!r} does not exist.')
    cfg.load_from = args.checkpoint
    # Strict loading even for configs without our runtime's hook (see StrictLoadHook).
    cfg.setdefault('default_hooks', {}).setdefault('strict_load',
                                                   dict(type='diffhand_mm.StrictLoadHook'))
    if getattr(args, 'strategy', None):
        apply_strategy(cfg, args.strategy)
    # Options first: they may address test_evaluator keys that --dump's list form would hide.
    if args.cfg_options is not None:
        cfg.merge_from_dict(args.cfg_options)
    show, show_dir = getattr(args, 'show', False), getattr(args, 'show_dir', None)
    out = getattr(args, 'out', None)
    if out is not None and not out.endswith(('.json', '.yaml', '.yml', '.pkl', '.pickle')):
        raise SystemExit(f'--out: {out!r} must end with .json, .yaml, .yml or .pkl.')
    if show or show_dir is not None:
        if show and not os.environ.get('DISPLAY'):
            raise SystemExit('--show needs a display (DISPLAY is not set); use --show-dir DIR.')
        if 'visualization' not in cfg.get('default_hooks', {}):
            raise SystemExit('--show/--show-dir: the config has no default_hooks.visualization '
                             '(e.g. dict(type=MeshVisualizationHook)).')
        cfg.default_hooks.visualization.update(enable=True, show=show, wait_time=args.wait_time,
                                               out_dir=show_dir, interval=args.interval)
    if args.dump is not None:
        if not args.dump.endswith(('.pkl', '.pickle')):
            raise SystemExit('--dump: the output file must be a .pkl or .pickle file.')
        dump_metric = dict(type='DumpResults', out_file_path=args.dump)
        evaluator = cfg.test_evaluator
        if isinstance(evaluator, (list, tuple)):
            cfg.test_evaluator = [*evaluator, dump_metric]
        elif 'metrics' in evaluator:
            evaluator.metrics = [*evaluator.metrics, dump_metric] if isinstance(
                evaluator.metrics, (list, tuple)) else [evaluator.metrics, dump_metric]
        else:
            cfg.test_evaluator = [evaluator, dump_metric]
    return cfg


def main() -> None:
    args = parse_args()
    configure_threads(args.threads)
    cfg = Config.fromfile(args.config)
    cfg = merge_args(cfg, args)
    prepare_distributed(cfg, args.launcher)
    runner = build_runner(cfg)
    if args.out is not None:
        runner.register_hook(MetricsFileHook(args.out), 'LOWEST')
    try:
        runner.test()
    except BaseException:
        finish_distributed()
        raise
    exit_finished_distributed_process(finish_distributed())


if __name__ == '__main__':
    run_tool(main)

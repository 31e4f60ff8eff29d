"""Choosing the runner: MMEngine's ``Runner`` (DDP), or its ``FlexibleRunner`` with a strategy.

A config selects the FlexibleRunner the MMEngine way, with a ``strategy`` dict (and optionally
``runner_type = 'FlexibleRunner'``); the tools' ``--strategy ddp|fsdp|deepspeed`` writes that
dict for the common cases. Without either, the tools build the plain ``Runner``, which wraps the
model in ``MMDistributedDataParallel`` when launched on several processes.
"""
import argparse
import importlib.util
from typing import Optional

import torch
from mmengine.config import Config
from mmengine.runner import FlexibleRunner, Runner

from diffhand_mm.registry import RUNNERS, type_name

#: Names accepted by ``tools/train.py --strategy`` / ``tools/test.py --strategy``.
STRATEGY_NAMES = ('ddp', 'fsdp', 'deepspeed')

# MMEngine strategies that need a launched process group.
DISTRIBUTED_STRATEGIES = ('DDPStrategy', 'FSDPStrategy', 'DeepSpeedStrategy')

# FSDP wraps every submodule of at least this many parameters as its own shard unit (a block
# of the DeiT-III Large encoder has 12.6M), so only one unit is gathered at a time.
FSDP_MIN_PARAMS_PER_UNIT = 10**7


def add_strategy_argument(parser: argparse.ArgumentParser) -> None:
    """Add the tools' ``--strategy`` option (read by :func:`apply_strategy`)."""
    parser.add_argument(
        '--strategy', choices=STRATEGY_NAMES,
        help="run with MMEngine's FlexibleRunner and this strategy (fsdp: sharded parameters, "
        "gradients and optimizer state; deepspeed: needs the deepspeed package and CUDA). "
        "Default: the config's `strategy` if it has one, else the plain Runner (DDP).")


def strategy_type(cfg: Config) -> Optional[str]:
    """The class name of the config's FlexibleRunner strategy, or None without one."""
    strategy = cfg.get('strategy')
    return None if strategy is None else type_name(strategy['type'])


def apply_strategy(cfg: Config, name: str) -> None:
    """Point ``cfg`` (in place) at the FlexibleRunner with the strategy ``name``.

    ``ddp``: MMEngine's ``DDPStrategy``; the config's ``find_unused_parameters`` carries over.
    ``fsdp``: ``FSDPStrategy`` sharding parameters, gradients and optimizer state; submodules
    of at least ``FSDP_MIN_PARAMS_PER_UNIT`` parameters become their own units; checkpoints are
    saved whole by rank 0 (``state_dict_cfg='full'``), so ``tools/test.py``, the demo and a
    plain ``Runner`` load them as any other; a plain ``OptimWrapper`` becomes
    ``FSDPOptimWrapper``, which clips by the norm of the whole gradient, not of each rank's
    shard. ``deepspeed``: ``DeepSpeedStrategy`` with ZeRO
    stage 2; the optimizer wrapper becomes ``DeepSpeedOptimWrapper`` and the config's
    ``clip_grad.max_norm`` becomes DeepSpeed's ``gradient_clipping``.

    Args:
        cfg: The experiment config; ``runner_type``, ``strategy`` and, for FSDP and
            DeepSpeed, ``optim_wrapper`` are set. ``--cfg-options strategy.<key>=...`` refines them.
        name: One of :data:`STRATEGY_NAMES`.

    Raises:
        ValueError: For an unknown name.
    """
    if name == 'ddp':
        strategy = dict(type='DDPStrategy', model_wrapper=dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False)))
    elif name == 'fsdp':
        strategy = dict(type='FSDPStrategy', state_dict_cfg='full', model_wrapper=dict(
            type='MMFullyShardedDataParallel', use_orig_params=True,
            auto_wrap_policy=dict(type='torch.distributed.fsdp.wrap.size_based_auto_wrap_policy',
                                  min_num_params=FSDP_MIN_PARAMS_PER_UNIT)))
        optim_wrapper = cfg.get('optim_wrapper')  # none in a test-only config
        if optim_wrapper and type_name(optim_wrapper.get('type', 'OptimWrapper')) == \
                'OptimWrapper':
            optim_wrapper.type = 'FSDPOptimWrapper'
    elif name == 'deepspeed':
        strategy = dict(type='DeepSpeedStrategy', zero_optimization=dict(stage=2))
        if cfg.get('optim_wrapper'):
            optim_wrapper = dict(cfg.optim_wrapper)
            clip_grad = optim_wrapper.pop('clip_grad', None) or {}
            # DeepSpeed owns loss scaling, clipping and accumulation; keep what builds the
            # optimizer.
            for key in ('type', 'loss_scale', 'dtype', 'accumulative_counts'):
                optim_wrapper.pop(key, None)
            cfg.optim_wrapper = dict(optim_wrapper, type='DeepSpeedOptimWrapper')
            if 'max_norm' in clip_grad:
                strategy['gradient_clipping'] = clip_grad['max_norm']
    else:
        raise ValueError(f'unknown strategy {name!r}; choose one of {STRATEGY_NAMES}.')
    cfg.runner_type = 'FlexibleRunner'
    cfg.strategy = strategy


def check_strategy_supported(cfg: Config) -> None:
    """Stop with a clear message when the config's strategy cannot run here.

    Raises:
        SystemExit: A distributed strategy in a process started without a launcher (MMEngine
            would fail on a missing ``LOCAL_RANK``); DeepSpeed not installed, or without a CUDA
            device (MMEngine 0.10's ``DeepSpeedStrategy`` starts its process group through
            ``torch.cuda.set_device``).
    """
    kind = strategy_type(cfg)
    if kind in DISTRIBUTED_STRATEGIES and cfg.get('launcher', 'none') == 'none':
        raise SystemExit(
            f'The {kind} runs one process per device: start it with tools/dist_train.sh, '
            'tools/dist_test.sh or the slurm scripts (NPROC may be 1), not in a single '
            'process without --launcher.')
    if kind != 'DeepSpeedStrategy':
        return
    if importlib.util.find_spec('deepspeed') is None:
        raise SystemExit(
            'The DeepSpeed strategy needs the deepspeed package, which is not installed in '
            "this environment: 'pip install deepspeed' (on a CUDA machine), or use "
            '--strategy ddp / fsdp.')
    if not torch.cuda.is_available():
        raise SystemExit(
            'The DeepSpeed strategy needs a CUDA device (MMEngine starts DeepSpeed through '
            'torch.cuda.set_device); on the CPU use --strategy ddp or fsdp.')


def build_runner(cfg: Config) -> Runner:
    """Build the runner the config asks for, holding its work dir's lock.

    A ``strategy`` (or ``runner_type = 'FlexibleRunner'``) gives a ``GuardedFlexibleRunner``
    (MMEngine's ``FlexibleRunner`` with the work-dir lock; a config's own ``FlexibleRunner``
    subclass is kept); another ``runner_type`` is built from the ``RUNNERS`` registry as MMPose's
    tools do (our runtime names ``GuardedRunner``); otherwise the plain ``Runner``.

    Raises:
        SystemExit: See :func:`check_strategy_supported`.
    """
    from diffhand_mm.engine.work_dir_lock import GuardedFlexibleRunner

    runner_type = cfg.get('runner_type')
    flexible_class = runner_type if isinstance(runner_type, type) and issubclass(
        runner_type, FlexibleRunner) else None
    if cfg.get('strategy') is not None or flexible_class is not None or (
            runner_type is not None and type_name(runner_type) == 'FlexibleRunner'):
        check_strategy_supported(cfg)
        return (flexible_class or GuardedFlexibleRunner).from_cfg(cfg)
    if runner_type is not None:
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)

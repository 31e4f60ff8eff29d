"""Distributed launch helpers that also work on CPU-only machines (gloo)."""
import logging
import os
import subprocess
import sys

import torch
import torch.distributed as torch_dist
from mmengine.config import Config

from .strategy import strategy_type

# torch's default rendezvous port; what MMEngine's slurm launcher uses without MASTER_PORT.
DEFAULT_MASTER_PORT = '29500'


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` (in place) for a launcher; start a gloo process group on the CPU.

    MMEngine's ``init_dist`` calls ``torch.cuda.set_device`` and its model wrappers are given
    ``device_ids=[LOCAL_RANK]``; both break a CPU-only run. Without CUDA we start the gloo
    process group ourselves before the runner is built (the runner then skips its own
    initialisation) and make the wrapper device-agnostic: DDP for the plain ``Runner`` and the
    FlexibleRunner's ``DDPStrategy``, FSDP on the CPU for its ``FSDPStrategy``.

    Args:
        cfg: The experiment config; ``launcher`` and, on the CPU, ``env_cfg.dist_cfg`` and the
            model wrapper (``model_wrapper_cfg`` or ``strategy.model_wrapper``) are set.
        launcher: ``'none'``, ``'pytorch'`` (torchrun), ``'slurm'`` (srun) or ``'mpi'``.

    Raises:
        ValueError: ``'mpi'`` without CUDA.
        RuntimeError: The launcher's environment variables are missing.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher == 'slurm':
        export_slurm_env()
    elif launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} without CUDA is not supported; use '
                         "'pytorch' (torchrun, e.g. tools/dist_train.sh) or 'slurm' "
                         '(srun, e.g. tools/slurm_train.sh) for CPU runs.')
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch needs the torchrun environment; missing '
                           f'{missing}. Start with tools/dist_train.sh or torchrun.')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    env_cfg = cfg.get('env_cfg') or {}
    cfg.env_cfg = dict(env_cfg, dist_cfg=dict(env_cfg.get('dist_cfg') or {}, backend='gloo'))
    _cpu_model_wrapper(cfg)


def _cpu_model_wrapper(cfg: Config) -> None:
    """Give the model wrapper no CUDA device: DDP ``device_ids=None``, FSDP on the CPU."""
    kind = strategy_type(cfg)
    if kind is None:
        wrapper = cfg.get('model_wrapper_cfg') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False,
            find_unused_parameters=cfg.get('find_unused_parameters', False))
        wrapper['device_ids'] = None
        cfg.model_wrapper_cfg = wrapper
    elif kind == 'FSDPStrategy':
        wrapper = cfg.strategy.get('model_wrapper') or dict(type='MMFullyShardedDataParallel')
        wrapper['device_id'] = 'cpu'
        cfg.strategy.model_wrapper = wrapper
    elif kind == 'DDPStrategy':
        wrapper = cfg.strategy.get('model_wrapper') or dict(
            type='MMDistributedDataParallel', broadcast_buffers=False)
        wrapper['device_ids'] = None
        cfg.strategy.model_wrapper = wrapper


def export_slurm_env() -> None:
    """Translate srun's variables into torch's env:// rendezvous variables, as MMEngine does.

    ``RANK`` = ``SLURM_PROCID``, ``WORLD_SIZE`` = ``SLURM_NTASKS``, ``LOCAL_RANK`` =
    ``SLURM_LOCALID``; ``MASTER_ADDR`` is kept when set, else the first host of
    ``SLURM_NODELIST`` (``scontrol show hostname``); ``MASTER_PORT`` is kept when set, else
    29500.

    Raises:
        RuntimeError: A SLURM variable is missing (not started by srun), or the master host
            cannot be found.
    """
    missing = [k for k in ('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher slurm needs the variables srun sets; missing {missing}. '
                           'Start with tools/slurm_train.sh / tools/slurm_test.sh or srun.')
    if 'MASTER_ADDR' not in os.environ:
        try:
            host = subprocess.run(['scontrol', 'show', 'hostname', os.environ['SLURM_NODELIST']],
                                  capture_output=True, text=True).stdout.split()
        except OSError:  # no scontrol on this machine
            host = []
        if not host:
            raise RuntimeError('--launcher slurm: cannot resolve the first host of '
                               f"SLURM_NODELIST={os.environ['SLURM_NODELIST']!r} with scontrol; "
                               'set MASTER_ADDR.')
        os.environ['MASTER_ADDR'] = host[0]
    os.environ.setdefault('MASTER_PORT', DEFAULT_MASTER_PORT)
    os.environ['WORLD_SIZE'] = os.environ['SLURM_NTASKS']
    os.environ['RANK'] = os.environ['SLURM_PROCID']
    os.environ['LOCAL_RANK'] = os.environ.get('SLURM_LOCALID', '0')


def finish_distributed() -> bool:
    """Tear down the default process group, if any, before the process exits.

    Left to interpreter shutdown, gloo's worker threads can be destroyed while still joinable
    and a rank aborts ("terminate called without an active exception", exit code -6) after
    its work is done, failing the whole torchrun job.

    Returns:
        bool: whether there was a process group (this process ran distributed).
    """
    # No barrier: after a failure on one rank, the others must not wait for it here.
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()
        return True
    return False


def exit_finished_distributed_process(was_distributed: bool) -> None:
    """End a distributed rank whose work is done, skipping the interpreter's teardown.

    Even after :func:`finish_distributed`, the C++ destructors run at interpreter exit can
    still meet a joinable thread of torch's distributed runtime and abort the rank (exit code
    -6, "terminate called without an active exception"): seen in a fresh-clone CI run of the
    two-node test (2026-12-03; earlier runs had passed), after the rank had written all its
    results. A finished rank therefore flushes its
    logs and output streams and leaves with status 0 at once. Only for success: on an error
    the caller lets the exception propagate instead. A no-op when ``was_distributed`` is
    False (single-process runs end normally).
    """
    if not was_distributed:
        return
    logging.shutdown()  # MMEngine's file handlers
    for stream in (sys.stdout, sys.stderr):
        stream.flush()
    os._exit(0)

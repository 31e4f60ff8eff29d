"""Distributed launch helpers that also work on CPU-only machines (gloo)."""
import os

import torch
import torch.distributed as torch_dist
from mmengine.config import Config


def prepare_distributed(cfg: Config, launcher: str) -> None:
    """Prepare ``cfg`` (in place) for a launcher; start a gloo process group on the CPU.

    MMEngine's ``init_dist('pytorch')`` calls ``torch.cuda.set_device`` and its default model
    wrapper passes ``device_ids=[LOCAL_RANK]``; both break a CPU-only run. Without CUDA we start
    the gloo process group ourselves before the runner is built (the runner then skips its own
    initialisation) and make the wrapper device-agnostic.

    Args:
        cfg: The experiment config; ``launcher`` and, on the CPU, ``model_wrapper_cfg`` and
            ``env_cfg.dist_cfg`` are set.
        launcher: ``'none'``, ``'pytorch'``, ``'slurm'`` or ``'mpi'``.
    """
    cfg.launcher = launcher
    if launcher == 'none' or torch.cuda.is_available():
        return
    if launcher != 'pytorch':
        raise ValueError(f'launcher {launcher!r} without CUDA is not supported; use '
                         "'pytorch' (torchrun, e.g. tools/dist_train.sh) for CPU runs.")
    missing = [k for k in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT')
               if k not in os.environ]
    if missing:
        raise RuntimeError(f'--launcher pytorch needs the torchrun environment; missing '
                           f'{missing}. Start with tools/dist_train.sh or torchrun.')
    if not torch_dist.is_initialized():
        torch_dist.init_process_group(backend='gloo')
    cfg.env_cfg = cfg.get('env_cfg', {})
    cfg.env_cfg.setdefault('dist_cfg', {})['backend'] = 'gloo'
    wrapper = cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel')
    wrapper['device_ids'] = None
    cfg.model_wrapper_cfg = wrapper


def finish_distributed() -> None:
    """Tear down the default process group, if any, before the process exits.

    Left to interpreter shutdown, gloo's worker threads can be destroyed while still joinable
    and a rank aborts ("terminate called without an active exception", exit code -6) after
    its work is done, failing the whole torchrun job.
    """
    # No barrier: after a failure on one rank, the others must not wait for it here.
    if torch_dist.is_available() and torch_dist.is_initialized():
        torch_dist.destroy_process_group()

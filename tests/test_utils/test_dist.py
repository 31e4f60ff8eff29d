"""diffhand_mm.utils.dist: launchers on CPU-only machines (the multi-process runs are in
tests/test_tools/test_distributed.py and test_slurm.py)."""
import os

import pytest
import torch
from mmengine.config import Config

from diffhand_mm.utils.dist import export_slurm_env, prepare_distributed
from diffhand_mm.utils.strategy import apply_strategy

SLURM_VARS = dict(SLURM_PROCID='3', SLURM_NTASKS='4', SLURM_LOCALID='1',
                  SLURM_NODELIST='node[07-08]')
TORCH_VARS = ('RANK', 'WORLD_SIZE', 'LOCAL_RANK', 'MASTER_ADDR', 'MASTER_PORT')


@pytest.fixture
def slurm_task(monkeypatch, tmp_path):
    """srun's variables for task 3 of 4, and an scontrol that expands the node list."""
    for key in TORCH_VARS:
        # setenv first, so that teardown also removes what export_slurm_env writes into
        # os.environ (a bare delenv of an absent variable records nothing to undo).
        monkeypatch.setenv(key, '')
        monkeypatch.delenv(key)
    for key, value in SLURM_VARS.items():
        monkeypatch.setenv(key, value)
    scontrol = tmp_path / 'scontrol'
    scontrol.write_text('#!/bin/sh\necho node07\necho node08\n')
    scontrol.chmod(0o755)
    monkeypatch.setenv('PATH', f"{tmp_path}:{os.environ['PATH']}")
    return tmp_path


def test_slurm_variables_become_torch_rendezvous_variables(slurm_task):
    export_slurm_env()
    assert {k: os.environ[k] for k in TORCH_VARS} == dict(
        RANK='3', WORLD_SIZE='4', LOCAL_RANK='1', MASTER_ADDR='node07', MASTER_PORT='29500')


def test_slurm_keeps_a_given_master(slurm_task, monkeypatch):
    monkeypatch.setenv('MASTER_ADDR', '10.0.0.5')
    monkeypatch.setenv('MASTER_PORT', '31000')
    export_slurm_env()
    assert (os.environ['MASTER_ADDR'], os.environ['MASTER_PORT']) == ('10.0.0.5', '31000')


def test_slurm_without_scontrol_or_master_is_a_clear_error(slurm_task, monkeypatch):
    (slurm_task / 'scontrol').unlink()
    monkeypatch.setenv('PATH', str(slurm_task))
    with pytest.raises(RuntimeError, match="node\\[07-08\\].*set MASTER_ADDR"):
        export_slurm_env()


def test_slurm_launcher_outside_srun_names_the_missing_variables(monkeypatch):
    monkeypatch.delenv('SLURM_PROCID', raising=False)
    with pytest.raises(RuntimeError, match="SLURM_PROCID.*slurm_train.sh"):
        export_slurm_env()


def test_mpi_on_the_cpu_is_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError, match="'mpi' without CUDA"):
        prepare_distributed(Config(dict()), 'mpi')


def _cpu_prepared(cfg, monkeypatch):
    """prepare_distributed for a torchrun process on the CPU, with the process group faked."""
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    monkeypatch.setattr(torch.distributed, 'is_initialized', lambda: True)
    for key, value in dict(RANK='0', WORLD_SIZE='2', MASTER_ADDR='127.0.0.1',
                           MASTER_PORT='29999').items():
        monkeypatch.setenv(key, value)
    prepare_distributed(cfg, 'pytorch')
    assert cfg.env_cfg.dist_cfg.backend == 'gloo'
    return cfg


def test_cpu_ddp_wrapper_keeps_find_unused_parameters(monkeypatch):
    cfg = _cpu_prepared(Config(dict(find_unused_parameters=True)), monkeypatch)
    assert cfg.model_wrapper_cfg == dict(type='MMDistributedDataParallel', device_ids=None,
                                         broadcast_buffers=False, find_unused_parameters=True)


@pytest.mark.parametrize('name, key, value', [('ddp', 'device_ids', None),
                                              ('fsdp', 'device_id', 'cpu')])
def test_cpu_strategies_get_device_agnostic_wrappers(monkeypatch, name, key, value):
    cfg = Config(dict())
    apply_strategy(cfg, name)
    cfg = _cpu_prepared(cfg, monkeypatch)
    assert cfg.strategy.model_wrapper[key] == value
    assert 'model_wrapper_cfg' not in cfg


_FINISHED_RANK = '''
import atexit, logging, sys
import torch.distributed as dist
from diffhand_mm.utils.dist import exit_finished_distributed_process, finish_distributed
logging.basicConfig(filename=sys.argv[2], level=logging.INFO)
dist.init_process_group('gloo', init_method='file://' + sys.argv[1], rank=0, world_size=1)
atexit.register(lambda: print('interpreter teardown ran'))
logging.info('results written')
print('done', end='')  # unflushed when the process ends
exit_finished_distributed_process(finish_distributed())
print('not reached')
'''


def test_a_finished_distributed_rank_exits_0_with_its_output_and_logs_flushed(tmp_path):
    import subprocess
    import sys
    result = subprocess.run(
        [sys.executable, '-c', _FINISHED_RANK, str(tmp_path / 'store'), str(tmp_path / 'log')],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout == 'done'  # flushed; neither teardown nor the next line ran
    assert 'results written' in (tmp_path / 'log').read_text()


def test_without_a_process_group_nothing_is_torn_down_and_the_process_goes_on():
    from diffhand_mm.utils.dist import exit_finished_distributed_process, finish_distributed
    assert finish_distributed() is False
    exit_finished_distributed_process(False)  # returns: pytest is still here

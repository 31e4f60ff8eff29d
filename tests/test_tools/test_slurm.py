"""tools/slurm_train.sh and tools/slurm_test.sh with ``srun`` and ``scontrol`` replaced by stubs
on PATH: the commands the scripts build, and a 2-task training job run by the stub as srun
would run it (one process per task, with SLURM_PROCID / SLURM_NTASKS / SLURM_LOCALID /
SLURM_NODELIST), which must train what the two-node torchrun job trains."""
import json
import os
import os.path as osp
import subprocess
import sys

import torch

from tests.test_tools.launching import (REPO_ROOT, TIMEOUT_S, TOY_VAL_CONFIG, free_port,
                                        read_jsonl, read_ranks, unprefixed_state_dict)

# Records its arguments, then (unless SRUN_STUB_DRY_RUN is set) starts --ntasks copies of the
# command with srun's variables and fails when one fails, as --kill-on-bad-exit does.
SRUN_STUB = r'''#!{python}
import json, os, subprocess, sys
args = sys.argv[1:]
with open(os.environ['SRUN_STUB_LOG'], 'w') as f:
    json.dump(dict(argv=args, pythonpath=os.environ.get('PYTHONPATH', '')), f)
options = {{}}
while args[0].startswith('-'):
    option = args.pop(0)
    if '=' in option:
        key, value = option.split('=', 1)
    elif option in ('-p', '--partition'):
        key, value = option, args.pop(0)
    else:
        key, value = option, ''
    options[key] = value
if os.environ.get('SRUN_STUB_DRY_RUN'):
    sys.exit(0)
ntasks, per_node = int(options['--ntasks']), int(options['--ntasks-per-node'])
procs = [subprocess.Popen(args, env=dict(
    os.environ, SLURM_PROCID=str(i), SLURM_NTASKS=str(ntasks), SLURM_LOCALID=str(i % per_node),
    SLURM_NODEID=str(i // per_node), SLURM_NODELIST='stubnode[0-1]'))
    for i in range(ntasks)]
sys.exit(max(proc.wait() for proc in procs))
'''
# Slurm's host-list expansion: the first host is the master.
SCONTROL_STUB = '#!/bin/sh\n[ "$1 $2" = "show hostname" ] && echo 127.0.0.1 && echo 127.0.0.2\n'


def slurm_env(tmp_path, **extra):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir(exist_ok=True)
    (bin_dir / 'srun').write_text(SRUN_STUB.format(python=sys.executable))
    (bin_dir / 'scontrol').write_text(SCONTROL_STUB)
    for stub in ('srun', 'scontrol'):
        os.chmod(bin_dir / stub, 0o755)
    env = {k: v for k, v in os.environ.items() if k not in ('MASTER_ADDR', 'MASTER_PORT')}
    env.update(PATH=f"{bin_dir}:{env['PATH']}", PYTHON=sys.executable, OMP_NUM_THREADS='1',
               SRUN_STUB_LOG=str(tmp_path / 'srun.json'), PYTHONPATH='', **extra)
    return env


def run_script(script, *args, env, cwd):
    proc = subprocess.run(['bash', osp.join(REPO_ROOT, 'tools', script), *args], env=env,
                          cwd=cwd, capture_output=True, text=True, timeout=TIMEOUT_S)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return json.load(open(env['SRUN_STUB_LOG']))


def test_slurm_train_builds_mmposes_srun_command(tmp_path):
    env = slurm_env(tmp_path, SRUN_STUB_DRY_RUN='1', SRUN_ARGS='--qos=low --exclusive')
    call = run_script('slurm_train.sh', 'gpu_part', 'hand_job', 'cfg.py', 'work_dirs/x',
                      '--amp', '--cfg-options', 'a=1 2', env=env, cwd=tmp_path)
    assert call['argv'] == [
        '-p', 'gpu_part', '--job-name=hand_job', '--gres=gpu:8', '--ntasks=8',
        '--ntasks-per-node=8', '--cpus-per-task=5', '--kill-on-bad-exit=1', '--qos=low',
        '--exclusive', sys.executable, '-u', osp.join(REPO_ROOT, 'tools', 'train.py'),
        '--launcher=slurm', 'cfg.py', '--work-dir=work_dirs/x', '--amp', '--cfg-options', 'a=1 2']
    # The repository on PYTHONPATH, as MMPose's scripts put it.
    assert call['pythonpath'].split(':')[0] == REPO_ROOT

    env.update(GPUS='16', GPUS_PER_NODE='4', CPUS_PER_TASK='2', SRUN_ARGS='')
    call = run_script('slurm_test.sh', 'p', 'j', 'cfg.py', 'ckpt.pth', env=env, cwd=tmp_path)
    assert call['argv'] == [
        '-p', 'p', '--job-name=j', '--gres=gpu:4', '--ntasks=16', '--ntasks-per-node=4',
        '--cpus-per-task=2', '--kill-on-bad-exit=1', sys.executable, '-u',
        osp.join(REPO_ROOT, 'tools', 'test.py'), '--launcher=slurm', 'cfg.py', 'ckpt.pth']


def test_two_task_slurm_job_with_a_strategy_trains_what_torchrun_trains(two_node_training,
                                                                        tmp_path):
    # CPU-only "nodes": no --gres; 2 tasks, one per node; MASTER_ADDR from scontrol.
    env = slurm_env(tmp_path, GRES='', GPUS='2', GPUS_PER_NODE='1', CPUS_PER_TASK='1',
                    MASTER_PORT=str(free_port()))
    work_dir, val_file = tmp_path / 'work', tmp_path / 'val.jsonl'
    call = run_script('slurm_train.sh', 'cpu', 'toy', TOY_VAL_CONFIG, str(work_dir), '--strategy',
                      'ddp', '--cfg-options', f'val_evaluator.out_file={val_file}', env=env,
                      cwd=tmp_path)
    assert not any(arg.startswith('--gres') for arg in call['argv'])
    ranks = read_ranks(work_dir)
    assert [(r['runner'], r['wrapper'], r['iterations']) for r in ranks] == [
        ('GuardedFlexibleRunner', 'MMDistributedDataParallel', 6)] * 2
    assert [r['seen_samples'] for r in ranks] == [
        r['seen_samples'] for r in read_ranks(two_node_training / 'work')]
    [val_call] = read_jsonl(val_file)
    assert val_call['rank'] == 0 and sorted(val_call['sample_ids']) == list(range(7))
    reference = unprefixed_state_dict(two_node_training / 'work' / 'iter_6.pth')
    for key, value in unprefixed_state_dict(work_dir / 'iter_6.pth').items():
        torch.testing.assert_close(value, reference[key], rtol=0, atol=1e-6)

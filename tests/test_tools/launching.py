"""Helpers for the tests that start our launchers (torchrun, srun stubs) on the CPU."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
# The toy runner with validation and clipped SGD (see the file).
TOY_VAL_CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'toy_runner_val.py')
# Generous: two to four Python processes start torch and MMEngine on a loaded 2-core machine.
TIMEOUT_S = 600


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def launch(script, *args, cwd, **env):
    """Start ``bash tools/<script> ARGS`` with this interpreter; returns the Popen."""
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1',
               **env)
    return subprocess.Popen(['bash', osp.join(REPO_ROOT, 'tools', script), *args], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def wait_all(procs):
    """Wait for every process; fail with the output of one that failed."""
    outputs = [proc.communicate(timeout=TIMEOUT_S)[0] for proc in procs]
    for proc, output in zip(procs, outputs):
        assert proc.returncode == 0, output[-4000:]
    return outputs


def run_two_nodes(script, *args, cwd):
    """The same command on two simulated nodes (one process each), as a user runs it on two
    machines: NNODES=2, NODE_RANK 0 and 1, node 0 as the master."""
    port = str(free_port())
    return wait_all([launch(script, *args, cwd=cwd, NNODES='2', NODE_RANK=str(rank),
                            MASTER_ADDR='127.0.0.1', PORT=port) for rank in (0, 1)])


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f]


def read_ranks(work_dir):
    """What RankRecorderHook wrote for ranks 0 and 1: iterations, samples, runner, wrapper."""
    return [json.load(open(osp.join(work_dir, f'rank_{rank}.json'))) for rank in (0, 1)]


def unprefixed_state_dict(checkpoint_path):
    """A checkpoint's weights without the ``module.`` prefix that DDPStrategy writes."""
    import torch
    state_dict = torch.load(checkpoint_path, weights_only=False)['state_dict']
    return {key.removeprefix('module.'): value for key, value in state_dict.items()}

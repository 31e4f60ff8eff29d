"""tools/dist_train.sh and tools/dist_test.sh on the CPU (gloo): two simulated nodes on one
machine, and the FlexibleRunner's FSDP strategy on one node of two processes."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
import torch

from tests.data.toy_components import ToyRegressor

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'toy_runner_val.py')
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


@pytest.fixture(scope='module')
def two_node_training(tmp_path_factory):
    """6 iterations on two simulated nodes of one process each, validated at the end."""
    root = tmp_path_factory.mktemp('two_nodes')
    run_two_nodes('dist_train.sh', CONFIG, '1', '--work-dir', str(root / 'work'),
                  '--cfg-options', f"val_evaluator.out_file={root / 'val.jsonl'}", cwd=root)
    return root


def test_two_nodes_train_and_validate_every_sample_once(two_node_training):
    work_dir = two_node_training / 'work'
    ranks = [json.load(open(work_dir / f'rank_{r}.json')) for r in (0, 1)]
    assert [(r['runner'], r['wrapper'], r['iterations']) for r in ranks] == [
        ('Runner', 'MMDistributedDataParallel', 6)] * 2
    # DistributedSampler over the world of 2: the ranks see disjoint halves of each epoch (16
    # samples, 2 x 2 per iteration: the first 4 iterations cover the epoch exactly once).
    first_epoch = ranks[0]['seen_samples'][:8] + ranks[1]['seen_samples'][:8]
    assert sorted(first_epoch) == list(range(16))
    checkpoint = torch.load(work_dir / 'iter_6.pth', weights_only=False)
    assert checkpoint['meta']['iter'] == 6
    # Validation at the end of training: once, on rank 0, over all 7 samples (padded to 8).
    [val_call] = read_jsonl(two_node_training / 'val.jsonl')
    assert val_call['rank'] == 0 and sorted(val_call['sample_ids']) == list(range(7))


def test_two_nodes_test_every_sample_once(two_node_training, tmp_path):
    test_file = tmp_path / 'test.jsonl'
    run_two_nodes('dist_test.sh', CONFIG, str(two_node_training / 'work' / 'iter_6.pth'), '1',
                  '--work-dir', str(tmp_path / 'test'), '--cfg-options',
                  f'test_evaluator.out_file={test_file}', cwd=tmp_path)
    [test_call] = read_jsonl(test_file)
    assert test_call['rank'] == 0 and sorted(test_call['sample_ids']) == list(range(7))


def test_fsdp_strategy_trains_the_same_weights_as_ddp(two_node_training, tmp_path):
    work_dir, val_file = tmp_path / 'work', tmp_path / 'val.jsonl'
    wait_all([launch('dist_train.sh', CONFIG, '2', '--work-dir', str(work_dir), '--strategy',
                     'fsdp', '--cfg-options', f'val_evaluator.out_file={val_file}',
                     cwd=tmp_path, PORT=str(free_port()))])

    ranks = [json.load(open(work_dir / f'rank_{r}.json')) for r in (0, 1)]
    assert [(r['runner'], r['wrapper'], r['iterations']) for r in ranks] == [
        ('FlexibleRunner', 'MMFullyShardedDataParallel', 6)] * 2
    ddp_ranks = [json.load(open(two_node_training / 'work' / f'rank_{r}.json')) for r in (0, 1)]
    assert [r['seen_samples'] for r in ranks] == [r['seen_samples'] for r in ddp_ranks]
    [val_call] = read_jsonl(val_file)
    assert sorted(val_call['sample_ids']) == list(range(7))
    # state_dict_cfg='full': one file with unsharded, unprefixed weights that a plain model
    # (tools/test.py, the demo) loads as it is.
    fsdp = torch.load(work_dir / 'iter_6.pth', weights_only=False)['state_dict']
    ToyRegressor().load_state_dict(fsdp, strict=True)
    # Same data, seed and world size as the two-node DDP run, with clipping active at every
    # step: equal weights need the gradient norm of the whole model, not of each shard.
    ddp = torch.load(two_node_training / 'work' / 'iter_6.pth', weights_only=False)['state_dict']
    for key, value in ddp.items():
        torch.testing.assert_close(fsdp[key], value, rtol=0, atol=1e-6)

"""tools/dist_train.sh and tools/dist_test.sh on the CPU: 2 gloo processes over torchrun."""
import json
import os
import os.path as osp
import socket
import subprocess
import sys

import torch

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'toy_runner.py')


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _run(script, *args, cwd):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(_free_port()),
               PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run(['bash', osp.join(REPO_ROOT, 'tools', script), *args], cwd=cwd,
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


def test_two_gloo_ranks_train_and_gather_test_results_once(tmp_path):
    work_dir = tmp_path / 'work'
    _run('dist_train.sh', CONFIG, '2', '--work-dir', str(work_dir), cwd=tmp_path)

    ranks = [json.load(open(work_dir / f'rank_{r}.json')) for r in (0, 1)]
    assert [r['iterations'] for r in ranks] == [6, 6]
    # DistributedSampler: the two ranks see disjoint halves of each epoch (16 samples, 2 x 2 per
    # iteration, so the first 4 iterations cover the epoch exactly once).
    first_epoch = ranks[0]['seen_samples'][:8] + ranks[1]['seen_samples'][:8]
    assert sorted(first_epoch) == list(range(16))

    # Both ranks hold the same weights after DDP training: rank 0 saved them.
    checkpoint = torch.load(work_dir / 'iter_6.pth', weights_only=False)
    assert checkpoint['meta']['iter'] == 6

    gathered_file = tmp_path / 'gathered.jsonl'
    _run('dist_test.sh', CONFIG, str(work_dir / 'iter_6.pth'), '2', '--work-dir',
         str(tmp_path / 'test'), '--cfg-options', f'test_evaluator.out_file={gathered_file}',
         cwd=tmp_path)
    calls = [json.loads(line) for line in open(gathered_file)]
    assert len(calls) == 1, 'metrics must be computed once, on rank 0'
    assert calls[0]['rank'] == 0
    # 7 samples over 2 ranks: the sampler pads to 8; the gathered results are the 7, once each.
    assert sorted(calls[0]['sample_ids']) == list(range(7))

"""Runner guards from configs: stop at a non-finite loss, strict loading, atomic checkpoint
saves, the work-dir lock (one run per work dir; a killed run leaves it free)."""
import glob
import os
import os.path as osp
import signal
import subprocess
import sys
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from diffhand_mm.engine import (CheckpointMismatchError, GuardedRunner, NonFiniteLossError,
                                WorkDirInUseError, WorkDirLock, load_local_checkpoint)
from tests.conftest import REPO_ROOT

CONFIG = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'toy_runner.py')
KILLED_DURING_SAVE = '''
import os, signal, sys
from mmengine.config import Config
from mmengine.runner import Runner
saves = []
def fsync_then_die(fd):  # called after a checkpoint's bytes are written, before the rename
    saves.append(fd)
    if len(saves) == 2:  # iter_3.pth, then iter_6.pth
        os.kill(os.getpid(), signal.SIGKILL)
os.fsync = fsync_then_die
print('pid', os.getpid(), flush=True)
cfg = Config.fromfile(sys.argv[1])
cfg.work_dir = sys.argv[2]
cfg.default_hooks.checkpoint.update(interval=3, backend_args=dict(backend='atomic_local'))
Runner.from_cfg(cfg).train()
'''
HOLD_LOCK = '''
import sys, time
from diffhand_mm.engine import WorkDirLock
lock = WorkDirLock(sys.argv[1]).acquire()  # kept: the lock lives as long as it
print('held', flush=True)
time.sleep(120)
'''


def _cfg(work_dir, **hooks):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'guards_{uuid.uuid4().hex[:8]}'
    cfg.default_hooks.update(hooks)
    return cfg


def test_nan_label_stops_training_naming_the_batch_and_saves_nothing_from_it(tmp_path):
    cfg = _cfg(tmp_path, non_finite_loss=dict(type='NonFiniteLossHook'),
               checkpoint=dict(type='CheckpointHook', interval=1, by_epoch=False))
    cfg.train_dataloader.dataset.nan_sample = 9
    cfg.train_dataloader.sampler.shuffle = False  # batches of 2: sample 9 is in iteration 5
    runner = Runner.from_cfg(cfg)
    with pytest.raises(NonFiniteLossError) as info:
        runner.train()
    message = str(info.value)
    assert message.startswith('non-finite loss at iteration 5 (rank 0: loss=nan, '
                              'loss_mse=nan); the batch held samples ids 8, 9.')
    assert 'nothing was saved from this iteration' in message and 'iter_4.pth' in message
    saved = sorted(osp.basename(p) for p in glob.glob(str(tmp_path / 'iter_*.pth')))
    assert saved == ['iter_1.pth', 'iter_2.pth', 'iter_3.pth', 'iter_4.pth']
    weights = load_local_checkpoint(str(tmp_path / 'iter_4.pth'))['state_dict']
    assert all(torch.isfinite(v).all() for v in weights.values())


def test_strict_load_hook_refuses_a_checkpoint_of_another_model(tmp_path):
    bad = tmp_path / 'other.pth'
    torch.save(dict(state_dict={'linear.weight': torch.zeros(1, 5),
                                'linear.bias': torch.zeros(1)}), str(bad))
    cfg = _cfg(tmp_path, strict_load=dict(type='StrictLoadHook'))
    cfg.load_from = str(bad)
    with pytest.raises(CheckpointMismatchError,
                       match=r'other.pth was not made for .*toy_runner.py: its weights do not '
                       r'fit the model: 1 mis-shaped key \(linear.weight \(checkpoint \(1, 5\), '
                       r'model \(1, 4\)\)\)'):
        Runner.from_cfg(cfg).test()


def test_sigkill_while_saving_a_checkpoint_leaves_only_complete_ones(tmp_path):
    """A run killed between writing iter_6.pth and renaming it into place (the worst moment),
    through CheckpointHook with the atomic backend of our default runtime."""
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, '-c', KILLED_DURING_SAVE, CONFIG, str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == -signal.SIGKILL, proc.stderr[-2000:]
    names = sorted(os.listdir(tmp_path))
    assert 'iter_3.pth' in names and 'iter_6.pth' not in names
    assert (tmp_path / 'last_checkpoint').read_text().endswith('iter_3.pth')
    load_local_checkpoint(str(tmp_path / 'iter_3.pth'))  # complete
    assert [n for n in names if '.partial-' in n] == [f'.iter_6.partial-{proc_pid(proc)}.pth']
    # the next run on this work dir (it holds the lock, so no one else writes) removes it
    lock = WorkDirLock(str(tmp_path)).acquire()
    assert not [n for n in os.listdir(tmp_path) if '.partial-' in n]
    lock.release()


def proc_pid(proc):
    return next(line.split()[1] for line in proc.stdout.splitlines() if line.startswith('pid '))


def test_a_work_dir_in_use_is_refused_and_a_killed_holder_leaves_it_free(tmp_path):
    """As two `tools/train.py --work-dir W` at once: the second is refused (one line, exit 2,
    nothing written); once the first is killed, W is free."""
    work_dir = tmp_path / 'work'
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    holder = subprocess.Popen([sys.executable, '-c', HOLD_LOCK, str(work_dir)], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == 'held'
        proc = subprocess.run([sys.executable, 'tools/train.py', CONFIG, '--work-dir',
                               str(work_dir), '--cfg-options', 'runner_type=GuardedRunner'],
                              cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                              timeout=300)
        assert proc.returncode == 2, proc.stderr[-3000:]
        assert proc.stderr.startswith(f'train.py: error: work dir {work_dir} is in use by '
                                      f'another run (pid {holder.pid} on ')
        assert 'Traceback' not in proc.stderr
        with pytest.raises(WorkDirInUseError, match=rf'work dir {work_dir} is in use'):
            GuardedRunner.from_cfg(_cfg(work_dir))
        assert os.listdir(work_dir) == ['.work_dir.lock']  # nothing was written
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    runner = GuardedRunner.from_cfg(_cfg(work_dir))  # the kill freed it
    GuardedRunner.from_cfg(_cfg(work_dir))  # the same process may hold it twice
    runner.train()


def test_the_ranks_of_one_job_share_the_lock(tmp_path, monkeypatch):
    from diffhand_mm.engine import work_dir_lock
    monkeypatch.setenv('WORLD_SIZE', '2')
    monkeypatch.setenv('MASTER_ADDR', '127.0.0.1')
    monkeypatch.setenv('MASTER_PORT', '29999')
    monkeypatch.setenv('RANK', '0')
    held = WorkDirLock(str(tmp_path)).acquire()  # rank 0 holds it for the job
    monkeypatch.setenv('RANK', '1')
    WorkDirLock(str(tmp_path)).acquire()  # rank 1 of the same job goes on
    assert held.path.endswith(".work_dir.lock")
    monkeypatch.setenv('MASTER_PORT', '29998')  # a rank of another job does not
    monkeypatch.setattr(work_dir_lock, 'RANK_WAIT_SECONDS', 0.3)
    with pytest.raises(WorkDirInUseError, match='rank 0 of this job did not take its lock'):
        WorkDirLock(str(tmp_path)).acquire()

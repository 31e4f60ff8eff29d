"""One run per work dir: a lock the ranks of one job share and a killed run cannot leave stuck.

Two trainings writing the same work dir interleave their logs (runs started in the same
second even share the log file) and overwrite each other's checkpoints and config dump.
:class:`GuardedRunner` (and :class:`GuardedFlexibleRunner`) take the work dir's lock before
MMEngine's runner writes anything there, and refuse to start if another run holds it.

The lock is an advisory ``flock`` on ``<work_dir>/.work_dir.lock``, held by the job's rank 0
for the life of the process: the kernel releases it when the process ends in any way
(SIGKILL included), so a killed run never leaves the work dir locked. The file records who
holds it (job, host, pid, command, start time), for the error message. The other ranks of a
job do not lock; they wait (up to :data:`RANK_WAIT_SECONDS`) until the file names their own
job, and fail if it keeps naming another one. On network file systems the lock relies on
``flock`` support (Linux NFS emulates it with byte-range locks).

A process may hold the lock of a work dir several times (runners built one after the other
in one script); it is released when the last of them is garbage-collected or the process ends.
"""
import fcntl
import json
import os
import os.path as osp
import socket
import sys
import time
from typing import Dict, Optional

from mmengine.runner import FlexibleRunner, Runner

from diffhand_mm.registry import RUNNERS
from diffhand_mm.utils.atomic_io import remove_stale_partials
from diffhand_mm.utils.cli import InputError

LOCK_NAME = '.work_dir.lock'
#: How long ranks other than 0 wait for their rank 0 to take the lock.
RANK_WAIT_SECONDS = 120.0


class WorkDirInUseError(InputError):
    """Another running job holds the work dir's lock."""


def job_key() -> str:
    """What the ranks of one job share and another job does not: the launcher's rendezvous
    (torchrun / Slurm) for a distributed job, this process otherwise."""
    if int(os.environ.get('WORLD_SIZE', '1')) > 1:
        run_id = os.environ.get('TORCHELASTIC_RUN_ID', 'none')
        run_id = os.environ.get('SLURM_JOB_ID', '') if run_id == 'none' else run_id
        return (f'{os.environ.get("MASTER_ADDR", "?")}:{os.environ.get("MASTER_PORT", "?")}'
                f'/{run_id}')
    return f'{socket.gethostname()}/pid {os.getpid()}'


def _read_owner(path: str) -> dict:
    try:
        with open(path, 'r') as f:
            return json.load(f)
    except (OSError, ValueError):
        return {}


def _describe(owner: dict) -> str:
    if not owner:
        return 'another run'
    command = ' '.join(owner.get('command', []))
    command = command if len(command) <= 100 else command[:97] + '...'
    job = owner.get('job', '')
    job = f'job {job}, ' if '/pid ' not in job else ''
    return (f'another run ({job}pid {owner.get("pid", "?")} on {owner.get("host", "?")}, '
            f'started {owner.get("started", "?")}: {command})')


class WorkDirLock:
    """The lock of one work dir, re-entrant within a process.

    Args:
        work_dir: The folder to lock (created).
    """
    _held: Dict[str, list] = {}  # realpath -> [file object, holders] of this process

    def __init__(self, work_dir: str) -> None:
        self.work_dir = osp.realpath(work_dir)
        self.path = osp.join(self.work_dir, LOCK_NAME)
        self._acquired = False

    def acquire(self) -> 'WorkDirLock':
        """Take the lock (rank 0) or wait for this job's rank 0 to hold it (other ranks).

        Raises:
            WorkDirInUseError: another running job holds it.
        """
        os.makedirs(self.work_dir, exist_ok=True)
        if int(os.environ.get('RANK', '0')) != 0:
            self._wait_for_rank0()
            return self
        held = self._held.get(self.work_dir)
        if held is not None:
            held[1] += 1
        else:
            handle = open(self.path, 'a+')
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.close()
                raise WorkDirInUseError(
                    f'work dir {self.work_dir} is in use by {_describe(_read_owner(self.path))}.'
                    ' Wait for that run to finish, or give this one another work dir '
                    '(--work-dir).') from None
            owner = dict(job=job_key(), host=socket.gethostname(), pid=os.getpid(),
                         command=sys.argv, started=time.strftime('%Y-%m-%d %H:%M:%S'))
            handle.seek(0)
            handle.truncate()
            handle.write(json.dumps(owner))
            handle.flush()
            self._held[self.work_dir] = [handle, 1]
            # Partial files of killed writers (atomic saves) are now known to be stale.
            remove_stale_partials(self.work_dir)
        self._acquired = True
        return self

    def _wait_for_rank0(self) -> None:
        deadline = time.monotonic() + RANK_WAIT_SECONDS
        while _read_owner(self.path).get('job') != job_key():
            if time.monotonic() > deadline:
                raise WorkDirInUseError(
                    f'work dir {self.work_dir}: rank 0 of this job did not take its lock '
                    f'within {RANK_WAIT_SECONDS:.0f} s; it is held by '
                    f'{_describe(_read_owner(self.path))}.')
            time.sleep(0.2)

    def release(self) -> None:
        """Give the lock back (the last holder of this process unlocks the file)."""
        if not self._acquired:
            return
        self._acquired = False
        held = self._held.get(self.work_dir)
        if held is None:
            return
        held[1] -= 1
        if held[1] == 0:
            del self._held[self.work_dir]
            held[0].close()  # closing the descriptor releases the flock

    def __del__(self):
        self.release()


class _WorkDirLockMixin:
    """Takes the work dir's lock before the runner's ``__init__`` writes anything."""

    def __init__(self, *args, **kwargs):
        work_dir = kwargs['work_dir'] if 'work_dir' in kwargs else args[1]
        self._work_dir_lock = WorkDirLock(work_dir).acquire()
        super().__init__(*args, **kwargs)


@RUNNERS.register_module()
class GuardedRunner(_WorkDirLockMixin, Runner):
    """MMEngine's :class:`~mmengine.runner.Runner` that holds its work dir's lock
    (see the module docstring). Select it with ``runner_type = 'GuardedRunner'``."""


@RUNNERS.register_module()
class GuardedFlexibleRunner(_WorkDirLockMixin, FlexibleRunner):
    """MMEngine's :class:`~mmengine.runner.FlexibleRunner` (training strategies: DeepSpeed,
    FSDP, ...) that holds its work dir's lock."""

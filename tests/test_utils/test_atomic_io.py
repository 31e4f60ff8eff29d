"""Atomic writes: a writer killed mid-file leaves the old file (or none), never a torn one."""
import os
import signal
import subprocess
import sys

import pytest

from diffhand_mm.utils.atomic_io import atomic_open, remove_stale_partials
from tests.conftest import REPO_ROOT

KILLED_WRITER = '''
import importlib.util, os, signal, sys
# the module alone (the package would import torch: seconds per process)
spec = importlib.util.spec_from_file_location('atomic_io', sys.argv[2])
atomic_io = importlib.util.module_from_spec(spec)
spec.loader.exec_module(atomic_io)
with atomic_io.atomic_open(sys.argv[1], 'wb') as f:
    f.write(b'new data, first half')
    f.flush()
    os.kill(os.getpid(), signal.SIGKILL)  # as a SIGKILL during a checkpoint save
'''


def test_error_inside_the_block_keeps_the_old_file(tmp_path):
    target = tmp_path / 'iter_4.pth'
    target.write_bytes(b'good')
    with pytest.raises(RuntimeError):
        with atomic_open(str(target), 'wb') as f:
            f.write(b'half')
            raise RuntimeError('disk full')
    assert target.read_bytes() == b'good' and os.listdir(tmp_path) == ['iter_4.pth']


def test_sigkill_while_writing_leaves_no_partial_target_and_the_leftover_is_cleaned(tmp_path):
    target = tmp_path / 'iter_8.pth'
    module = os.path.join(REPO_ROOT, 'diffhand_mm', 'utils', 'atomic_io.py')
    proc = subprocess.run([sys.executable, '-c', KILLED_WRITER, str(target), module])
    assert proc.returncode == -signal.SIGKILL
    assert not target.exists()
    leftovers = os.listdir(tmp_path)
    assert len(leftovers) == 1 and leftovers[0].startswith('.iter_8.partial-')
    assert remove_stale_partials(str(tmp_path)) == [str(tmp_path / leftovers[0])]
    assert os.listdir(tmp_path) == []


def test_complete_write_replaces_the_target(tmp_path):
    target = tmp_path / 'last_checkpoint'
    target.write_text('old')
    with atomic_open(str(target)) as f:
        f.write('new')
    assert target.read_text() == 'new' and os.listdir(tmp_path) == ['last_checkpoint']

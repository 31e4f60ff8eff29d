"""The command-line convention: user errors are one line and exit 2; tracebacks only with
--debug or for internal errors."""
import os
import subprocess
import sys

import pytest

from diffhand_mm.utils.cli import InputError, run_tool
from tests.conftest import REPO_ROOT


def _raise(error):
    def main(argv):
        raise error
    return main


@pytest.mark.parametrize('error', [
    InputError('data/x.json: sample 3: `joints_3d` holds NaN'),
    FileNotFoundError('config.py: file not found'),
    SystemExit('--resume: checkpoint does not exist.'),
])
def test_user_error_is_one_line_and_exit_2(error, capsys):
    with pytest.raises(SystemExit) as stop:
        run_tool(_raise(error), [], prog='tool.py')
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert 'Traceback' not in err and len(err.strip().splitlines()) == 1
    assert err.startswith('tool.py: error: ') and str(error.args[0]) in err


def test_debug_prints_the_traceback_of_a_user_error(capsys):
    with pytest.raises(SystemExit) as stop:
        run_tool(_raise(ValueError('bad value')), ['--debug'], prog='tool.py')
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert 'Traceback' in err and 'tool.py: error: bad value' in err


def test_internal_error_keeps_the_traceback_and_exits_1(capsys):
    with pytest.raises(SystemExit) as stop:
        run_tool(_raise(AttributeError("'NoneType' object has no attribute 'x'")), [],
                 prog='tool.py')
    assert stop.value.code == 1
    err = capsys.readouterr().err
    assert 'Traceback' in err and 'internal error' in err


def test_dataloader_worker_errors_show_the_original_line(capsys):
    message = ('Caught FileNotFoundError in DataLoader worker process 0.\nOriginal Traceback '
               '(most recent call last):\n  File "x.py", line 1\nFileNotFoundError: Image not '
               'found: a.jpg')
    with pytest.raises(SystemExit):
        run_tool(_raise(FileNotFoundError(message)), [], prog='tool.py')
    err = capsys.readouterr().err
    assert err.startswith('tool.py: error: FileNotFoundError: Image not found: a.jpg')


def test_a_real_tool_follows_the_convention(tmp_path):
    """tools/eval_submission.py on a missing ground-truth folder, as a user runs it."""
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    command = [sys.executable, 'tools/eval_submission.py', 'freihand', '--gt',
               str(tmp_path / 'nowhere'), '--pred', str(tmp_path / 'pred.json')]
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True)
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.strip().splitlines() == [
        f'eval_submission.py: error: {tmp_path}/nowhere/evaluation_xyz.json: file not found  '
        '(--debug prints the traceback)']


def test_rerun_command_quotes_arguments_so_the_shell_gets_them_back():
    import shlex

    from diffhand_mm.utils.cli import rerun_command
    command = rerun_command('tools/analysis/x.py', ['--configs', 'a b.py', "it's"])
    assert shlex.split(command) == ['python', 'tools/analysis/x.py', '--configs', 'a b.py', "it's"]

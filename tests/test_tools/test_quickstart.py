"""tools/quickstart.sh: paths from the caller's directory, runs never mixed, clear limits."""
import os
import os.path as osp
import subprocess

import pytest

from tests.conftest import REPO_ROOT

SCRIPT = osp.join(REPO_ROOT, 'tools', 'quickstart.sh')


def _quickstart(cwd, *args, **env):
    environment = dict(os.environ, OMP_NUM_THREADS='1', **env)
    return subprocess.run(['bash', SCRIPT, *args], cwd=cwd, env=environment,
                          capture_output=True, text=True, timeout=600)


@pytest.mark.parametrize('train_iters,message', [
    ('30', 'TRAIN_ITERS must be 0 (use the shipped checkpoint) or more than 50 (the tiny config '
           'warms the learning rate up for 50 iterations, then decays it); got 30'),
    ('many', "TRAIN_ITERS must be a whole number, got 'many'"),
])
def test_bad_train_iters_stop_before_anything_runs(tmp_path, train_iters, message):
    proc = _quickstart(tmp_path, 'out', TRAIN_ITERS=train_iters)
    assert proc.returncode == 2 and proc.stderr.strip() == f'quickstart: error: {message}'
    assert not (tmp_path / 'out').exists()


def test_a_folder_the_quickstart_did_not_write_is_refused(tmp_path):
    (tmp_path / 'results').mkdir()
    (tmp_path / 'results' / 'thesis.tex').write_text('keep me')
    proc = _quickstart(tmp_path, 'results')
    assert proc.returncode == 2
    assert proc.stderr.strip() == (
        f'quickstart: error: {tmp_path}/results is not empty and was not written by the quick '
        'start (it holds thesis.tex); give an empty or new folder')


def test_paths_are_taken_from_the_caller_and_only_an_earlier_run_is_replaced(tmp_path):
    """The plan (DRY_RUN) of a run from another folder over an earlier, larger run. A full run
    takes a minute on 2 cores; the removal it performs is the loop over the same names."""
    out = tmp_path / 'qs'
    for stale in ('demo/00000007_hand0.obj', 'synthhand/evaluation/rgb/00000007.jpg',
                  'train/iter_300.pth', 'test.log'):
        (out / stale).parent.mkdir(parents=True, exist_ok=True)
        (out / stale).write_text('stale')
    (out / 'my_notes.txt').write_text('keep me')  # beside an earlier quick start's files
    (out / '.quickstart').write_text('')
    proc = _quickstart(tmp_path, 'qs', NUM_TEST='1', DRY_RUN='1')
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [f'[quickstart] would write to {out}'] + [
        f'[quickstart] would replace {out}/{name}'
        for name in ('synthhand', 'train', 'demo', 'test.log')]
    assert not osp.exists(osp.join(REPO_ROOT, 'qs'))

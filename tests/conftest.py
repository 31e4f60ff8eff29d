"""Shared pytest set-up: the repository root on sys.path (for tools/ and tests.data); the
project's wheel, built once per session."""
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO_ROOT not in sys.path:
    sys.path.insert(0, REPO_ROOT)

# What setup.py reads. The wheel is built from a copy of these: an in-tree build leaves build/
# in the checkout, and a stale build/lib can put modules deleted since into the wheel.
WHEEL_SOURCES = ('setup.py', 'README.md', 'requirements', 'diffhand_mm')


@pytest.fixture(scope='session')
def diffhand_wheel(tmp_path_factory):
    """Path of the project's wheel (``pip wheel --no-deps --no-build-isolation``)."""
    root = tmp_path_factory.mktemp('wheel_build')
    for name in WHEEL_SOURCES:
        src, dst = osp.join(REPO_ROOT, name), root / 'src' / name
        if osp.isdir(src):
            shutil.copytree(src, dst, ignore=shutil.ignore_patterns('__pycache__', '*.pyc'))
        else:
            os.makedirs(dst.parent, exist_ok=True)
            shutil.copy(src, dst)
    # --isolated: no pip configuration of this machine (extra indexes, find-links) takes part.
    proc = subprocess.run(
        [sys.executable, '-m', 'pip', '--isolated', '--disable-pip-version-check', 'wheel',
         '--no-deps', '--no-build-isolation', '--no-index', '--no-cache-dir', '-w',
         str(root / 'dist'), str(root / 'src')], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    [name] = os.listdir(root / 'dist')
    return root / 'dist' / name

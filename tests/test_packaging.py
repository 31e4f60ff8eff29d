"""The wheel installs into another environment that holds the MM stack, and imports from
outside the repository.

The scratch venv reuses this environment's packages without copying them: a directory of
symbolic links to every entry of our site-packages except our own (editable) install, added
to the scratch venv by a ``.pth`` file. pip there sees the stack as installed (outside its
environment, so it could never uninstall it), resolves the wheel's install_requires against
it with ``--no-index`` (nothing downloads; a requirement the stack does not satisfy fails the
test) and installs only diffhand_mm. About 15 s on a 2-core machine (the wheel is built once
per session, tests/conftest.py).
"""
import os
import os.path as osp
import subprocess
import sys
import sysconfig
import zipfile

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
TIMEOUT_S = 600


def _run(*cmd, cwd, env=None):
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=TIMEOUT_S)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout


def _pip(python, *args, cwd):
    # --isolated: no pip configuration of this machine (extra indexes, find-links) takes part.
    return _run(python, '-m', 'pip', '--isolated', '--disable-pip-version-check', *args,
                '--no-index', '--no-cache-dir', cwd=cwd)


def _stack_without_diffhand_mm(target):
    """Symbolic links to this environment's site-packages entries, ours left out."""
    os.makedirs(target)
    site_dirs = dict.fromkeys(osp.realpath(sysconfig.get_paths()[k]) for k in ('purelib',
                                                                                'platlib'))
    for site_dir in site_dirs:
        for name in os.listdir(site_dir):
            # Ours: the package, the 'diffhand' distribution's metadata, the editable hooks.
            if name.startswith(('diffhand', '__editable__')) or name == '__pycache__':
                continue
            if not osp.exists(osp.join(target, name)):
                os.symlink(osp.join(site_dir, name), osp.join(target, name))


def test_wheel_holds_the_package_and_its_data_only(diffhand_wheel):
    names = zipfile.ZipFile(diffhand_wheel).namelist()
    assert 'diffhand_mm/hand/assets/open_hand_right.npz' in names
    assert 'diffhand_mm/configs/diffhand_tiny_synthhand.py' in names
    top_level = {name.split('/')[0] for name in names}
    assert {n for n in top_level if not n.endswith('.dist-info')} == {'diffhand_mm'}


def test_wheel_installs_into_a_venv_with_the_stack_and_imports_outside_the_repo(
        diffhand_wheel, tmp_path):
    _stack_without_diffhand_mm(tmp_path / 'stack')
    venv = tmp_path / 'venv'
    _run(sys.executable, '-m', 'venv', '--without-pip', str(venv), cwd=tmp_path)
    python = str(venv / 'bin' / 'python')
    site_dir = _run(python, '-c', 'import sysconfig; print(sysconfig.get_paths()["purelib"])',
                    cwd=tmp_path).strip()
    with open(osp.join(site_dir, 'mm_stack.pth'), 'w') as f:
        f.write(f"import site; site.addsitedir({str(tmp_path / 'stack')!r})\n")

    output = _pip(python, 'install', str(diffhand_wheel), cwd=tmp_path)
    assert 'Successfully installed diffhand-' in output

    # A user's config elsewhere that inherits a shipped one.
    (tmp_path / 'my_config.py').write_text(
        'from mmengine.config import read_base\n'
        'with read_base():\n'
        '    from diffhand_mm.configs.diffhand_tiny_synthhand import *  # noqa\n'
        'train_dataloader.update(batch_size=3)\n')

    # From an unrelated directory, with nothing of the checkout on the path.
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}
    check = (
        'import diffhand_mm, torch\n'
        'from diffhand_mm.registry import MODELS\n'
        'print(diffhand_mm.__file__)\n'
        'diffhand_mm.register_all_modules()\n'
        "hand = MODELS.build(dict(type='OpenHandModel'))\n"
        'print(tuple(hand(pose=torch.zeros(1, 16, 3)).vertices.shape))\n'
        'from mmengine.config import Config\n'
        "cfg = Config.fromfile('my_config.py')\n"
        'print(cfg.train_dataloader.batch_size, cfg.auto_scale_lr.base_batch_size)\n')
    lines = _run(python, '-c', check, cwd=tmp_path, env=env).splitlines()
    assert lines[0].startswith(site_dir) and not lines[0].startswith(REPO_ROOT)
    assert lines[-2:] == ['(1, 778, 3)', '3 16']

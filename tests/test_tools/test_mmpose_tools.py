"""Issue 10's "done when": a config outside the repository, in a scope of its own, inheriting
our configs with read_base() and naming our head 'diffhand_mm.DiffusionMeshHead' (its parts by
plain names), trains and tests through MMPose's own tools/train.py and tools/test.py; MMPose's
PCKAccuracy scores the predictions and --show-dir writes overlays."""
import glob
import json
import os
import os.path as osp
import subprocess
import sys
import textwrap

import mmpose
import pytest

MMPOSE_TOOLS = osp.join(osp.dirname(mmpose.__file__), '.mim', 'tools')

USER_CONFIG = textwrap.dedent('''
    from mmengine.config import read_base
    from mmpose.evaluation.metrics import PCKAccuracy

    with read_base():
        from diffhand_mm.configs.diffhand_tiny_synthhand import *  # noqa: F401,F403

    default_scope = 'my_project'
    custom_imports = dict(imports=['diffhand_mm'], allow_failed_imports=False)

    # Our head by its prefixed name; its parts by the plain names of our scope.
    model.head = dict(
        type='diffhand_mm.DiffusionMeshHead',
        hand_model=dict(type='OpenHandModel'),
        decoder=dict(type='CrossModalityDecoder', dim=16, num_blocks=1, num_heads=2,
                     ffn_ratio=2),
        loss_normal=dict(type='NormalConsistencyLoss', loss_weight=0.05),
        sampling_steps=1)
    model.test_cfg.sampling_steps = 1
    test_evaluator = [test_evaluator, dict(type=PCKAccuracy, thr=0.2)]
''')


def _run(script, *args, cwd):
    env = {k: v for k, v in os.environ.items() if k != 'PYTHONPATH'}  # nothing of the checkout
    proc = subprocess.run([sys.executable, osp.join(MMPOSE_TOOLS, script), *args], cwd=cwd,
                          env=dict(env, OMP_NUM_THREADS='1'), capture_output=True, text=True,
                          timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout + proc.stderr


@pytest.mark.skipif(not osp.isfile(osp.join(MMPOSE_TOOLS, 'train.py')),
                    reason="the installed mmpose has no tools (mmpose/.mim/tools)")
def test_mmpose_tools_train_and_test_our_head_from_a_config_of_another_project(tmp_path):
    from diffhand_mm.synth import write_synthhand
    data = tmp_path / 'data'
    write_synthhand(str(data), 8, 4, seed=0, image_size=128, progress=False)
    project = tmp_path / 'my_project'
    project.mkdir()
    (project / 'my_config.py').write_text(USER_CONFIG)
    options = [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader',
                                                 'test_dataloader')
               for key in (f'dataset.data_root={data}', 'num_workers=0',
                           'persistent_workers=False')]
    options += ['train_dataloader.batch_size=4', 'val_dataloader.batch_size=4',
                'test_dataloader.batch_size=4']
    _run('train.py', 'my_config.py', '--work-dir', 'work', '--cfg-options',
         'train_cfg.max_iters=2', 'train_cfg.val_interval=2', *options, cwd=str(project))
    # (MMPose's --no-validate would drop val_dataloader before these --cfg-options name it)
    assert osp.isfile(project / 'work' / 'iter_2.pth')

    output = _run('test.py', 'my_config.py', 'work/iter_2.pth', '--work-dir', 'test',
                  '--out', 'metrics.json', '--show-dir', 'vis', '--cfg-options', *options,
                  cwd=str(project))
    metrics = json.loads((project / 'metrics.json').read_text())
    assert {'mesh/MPJPE', 'mesh/PA-MPJPE', 'mesh/PA-MPVPE', 'PCK'} <= set(metrics), output[-2000:]
    assert 0.0 <= metrics['PCK'] <= 1.0
    overlays = glob.glob(str(project / 'test' / '*' / 'vis' / '*.jpg'))
    assert len(overlays) == 4, output[-2000:]

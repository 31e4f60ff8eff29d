"""tools/train.py and tools/test.py end to end on tiny fixtures in the official layouts:
FreiHAND (train, test, dump, official-format submission scored offline), DexYCB and HO-3D."""
import glob
import json
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
from mmengine.config import Config

from tests.test_datasets.dataset_writers import write_dexycb, write_freihand, write_ho3d

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TINY = osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py')
METRIC_KEYS = ['MPJPE', 'PA-MPJPE', 'AUC-J', 'PA-AUC-J', 'MPVPE', 'PA-MPVPE', 'F@5', 'F@15',
               'PA-F@5', 'PA-F@15']
FAST_LOADER = ['train_dataloader.num_workers=0', 'train_dataloader.persistent_workers=False',
               'test_dataloader.num_workers=0', 'test_dataloader.persistent_workers=False',
               'val_dataloader.num_workers=0', 'val_dataloader.persistent_workers=False']


def _run(*args):
    env = dict(os.environ, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1')
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    return output


def _metrics(output, prefix='mesh'):
    """{key: value} of the last test-metrics log line."""
    line = [ln for ln in output.splitlines() if '(test)' in ln and f'{prefix}/' in ln][-1]
    return {k: float(v) for k, v in re.findall(rf'{prefix}/(\S+): (-?[\d.]+)', line)}


@pytest.fixture(scope='module')
def freihand_run(tmp_path_factory):
    root = tmp_path_factory.mktemp('freihand')
    write_freihand(str(root), num=8, versions=1, split='training')
    write_freihand(str(root), num=5, versions=1, split='evaluation', seed=1)
    work_dir = root / 'work'
    data = [f'{loader}.dataset.data_root={root}'
            for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    output = _run('tools/train.py', TINY, '--work-dir', str(work_dir), '--cfg-options',
                  'train_cfg.max_iters=4', 'train_cfg.val_interval=4',
                  'train_dataloader.batch_size=4', *data, *FAST_LOADER)
    return root, work_dir, output


def test_training_logs_every_loss_and_keeps_checkpoints(freihand_run):
    _, work_dir, output = freihand_run
    for key in ('loss_x0', 'loss_vertex', 'loss_joint', 'loss_joint_2d', 'loss_normal'):
        assert re.search(rf'{key}: [\d.]+', output), key
    assert osp.isfile(work_dir / 'iter_4.pth')
    assert any(name.startswith('best_mesh_PA-MPJPE') for name in os.listdir(work_dir))


def test_test_tool_reports_all_metrics_and_matches_the_offline_evaluator(freihand_run):
    root, work_dir, _ = freihand_run
    pred_file, scores_file = root / 'pred.json', root / 'scores.json'
    output = _run('tools/test.py', TINY, str(work_dir / 'iter_4.pth'), '--work-dir',
                  str(root / 'test'), '--dump', str(root / 'preds.pkl'), '--cfg-options',
                  f'test_dataloader.dataset.data_root={root}', 'model.test_cfg.sampling_steps=2',
                  'test_evaluator.submission.format=freihand',
                  f'test_evaluator.submission.out_file={pred_file}', *FAST_LOADER)
    metrics = _metrics(output)
    assert set(METRIC_KEYS) <= set(metrics)
    assert osp.isfile(root / 'preds.pkl')

    _run('tools/eval_submission.py', 'freihand', '--gt', str(root), '--pred', str(pred_file),
         '--out', str(scores_file))
    offline = json.load(open(scores_file))
    for key in METRIC_KEYS:
        assert offline[key] == pytest.approx(metrics[key], abs=1e-4), key


def test_test_tool_draws_overlays_and_writes_the_metrics_file(freihand_run, tmp_path):
    """--show-dir / --interval draw every 2nd of the 5 test images with the mesh on the
    original image; --out writes the metrics (MMPose's test.py flags)."""
    import cv2
    import numpy as np
    root, work_dir, _ = freihand_run
    metrics_file = tmp_path / 'metrics.json'
    _run('tools/test.py', TINY, str(work_dir / 'iter_4.pth'), '--work-dir', str(tmp_path),
         '--show-dir', 'vis', '--interval', '2', '--out', str(metrics_file), '--cfg-options',
         f'test_dataloader.dataset.data_root={root}', 'model.test_cfg.sampling_steps=1',
         *FAST_LOADER)
    drawings = sorted(glob.glob(str(tmp_path / '*' / 'vis' / '*.jpg')))
    assert len(drawings) == 3, drawings  # samples 0, 2, 4
    original = cv2.imread(str(root / 'evaluation' / 'rgb' / '00000000.jpg'))
    drawn = cv2.imread(drawings[0])
    assert drawn.shape == original.shape
    assert np.abs(drawn.astype(int) - original).max() > 100  # keypoints and mesh drawn on it
    metrics = json.loads(metrics_file.read_text())
    assert set(f'mesh/{key}' for key in METRIC_KEYS) <= set(metrics)


def _tiny_config_for(dataset_config, data_root, tmp_path, dataset_overrides, evaluator):
    """A real-data config with the tiny model and a fixture data root, written to a file."""
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', dataset_config))
    tiny = Config.fromfile(TINY)
    cfg.model = tiny.model
    pipeline = tiny.test_pipeline
    if 'dexycb' in dataset_config:
        pipeline = [pipeline[0], dict(type='FlipLeftToRight'), *pipeline[1:]]
    cfg.test_dataloader.dataset.update(data_root=str(data_root), cache_dir=None,
                                       pipeline=pipeline, **dataset_overrides)
    cfg.test_dataloader.update(num_workers=0, persistent_workers=False, batch_size=4)
    cfg.test_evaluator = evaluator
    path = str(tmp_path / f'fixture_{dataset_config}')
    cfg.dump(path)
    return path


def test_dexycb_fixture_joint_metrics_without_mano(freihand_run, tmp_path):
    _, work_dir, _ = freihand_run
    root = tmp_path / 'dexycb'
    # s0 'val' = subjects 0-1, sequence 4: 2 x 8 cameras; subject 0's is a left hand.
    write_dexycb(str(root), sequences_per_subject=5, frames=1, special={('left', 0, 4): 1},
                 with_images=True, subjects_with_images=(0, 1))
    config = _tiny_config_for(
        'diffhand_hrnet_dexycb.py', root, tmp_path,
        dict(mano=None, check_sequence_count=False, split='val'),
        dict(type='MeshMetric', mode='dexycb', prefix='mesh', skip_vertices=True))
    output = _run('tools/test.py', config, str(work_dir / 'iter_4.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--cfg-options', 'model.test_cfg.sampling_steps=1')
    metrics = _metrics(output)
    assert {'MPJPE', 'PA-MPJPE', 'AUC-J', 'PA-AUC-J', 'ABS-MPJPE'} <= set(metrics)
    assert 'MPVPE' not in metrics  # no MANO: joint metrics only, not made-up mesh numbers


def test_ho3d_fixture_metrics_and_official_submission(freihand_run, tmp_path):
    _, work_dir, _ = freihand_run
    root = tmp_path / 'ho3d'
    write_ho3d(str(root), split='train')
    write_ho3d(str(root), split='evaluation', seed=3)
    config = _tiny_config_for(
        'diffhand_deit_ho3d.py', root, tmp_path, dict(split='train'),
        dict(type='MeshMetric', mode='ho3d', prefix='mesh', skip_vertices=True))
    output = _run('tools/test.py', config, str(work_dir / 'iter_4.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--cfg-options', 'model.test_cfg.sampling_steps=1')
    assert {'MPJPE', 'PA-MPJPE', 'ST-MPJPE', 'AUC-J'} <= set(_metrics(output))

    pred_file = tmp_path / 'ho3d_pred.json'
    config = _tiny_config_for(
        'diffhand_deit_ho3d.py', root, tmp_path, dict(split='evaluation'),
        dict(type='MeshMetric', mode='ho3d', prefix='mesh', format_only=True,
             submission=dict(format='ho3d', out_file=str(pred_file))))
    _run('tools/test.py', config, str(work_dir / 'iter_4.pth'), '--work-dir',
         str(tmp_path / 'test2'), '--cfg-options', 'model.test_cfg.sampling_steps=1')
    joints, vertices = json.load(open(pred_file))
    assert len(joints) == len(vertices) == 4  # 2 sequences x 2 frames
    assert len(joints[0]) == 21 and len(vertices[0]) == 778


def test_dist_train_tiny_model_on_two_gloo_ranks(freihand_run, tmp_path):
    root, _, _ = freihand_run
    data = [f'{loader}.dataset.data_root={root}' for loader in ('train_dataloader',
                                                                 'val_dataloader')]
    env = dict(os.environ, PYTHON=sys.executable, PYTHONPATH=REPO_ROOT, OMP_NUM_THREADS='1',
               PORT=str(29700 + os.getpid() % 200))
    proc = subprocess.run(
        ['bash', 'tools/dist_train.sh', TINY, '2', '--work-dir', str(tmp_path / 'work'),
         '--cfg-options', 'train_cfg.max_iters=2', 'train_cfg.val_interval=2',
         'train_dataloader.batch_size=2', 'model.test_cfg.sampling_steps=1', *data,
         *FAST_LOADER], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-4000:]
    assert osp.isfile(tmp_path / 'work' / 'iter_2.pth')
    # The 5 evaluation samples were split over the two ranks and scored once, all of them.
    assert len(re.findall(r'MeshMetric \(freihand\): 5 samples', output)) == 1

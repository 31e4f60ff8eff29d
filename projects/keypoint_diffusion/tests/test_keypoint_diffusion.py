"""The keypoint-diffusion project: diffhand_mm's head over the 21 hand joints, in the project's
own scope and estimator; template from data; end to end through the repository's tools."""
import json
import os
import os.path as osp
import re
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.evaluator import Evaluator
from mmengine.registry import DefaultScope

from keypoint_diffusion import MODELS, KeypointDiffusionEstimator, mean_root_relative_joints

PROJECT_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(osp.dirname(PROJECT_ROOT))
CONFIG = osp.join(PROJECT_ROOT, 'configs', 'kpdiff_tiny_synthhand.py')


def _write_xyz(path, joints):
    path.write_text(json.dumps(np.asarray(joints).tolist()))
    return str(path)


def _rotation(angle):
    c, s = np.cos(angle), np.sin(angle)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])


def test_template_is_the_mean_hand_of_the_data_whatever_its_orientation(tmp_path):
    rng = np.random.default_rng(0)
    shape = rng.normal(size=(21, 3)) * 0.04
    # the same hand turned every which way, plus a little noise, somewhere in front of the camera
    joints = np.stack([shape @ _rotation(a).T + [0.0, 0.0, 0.5] for a in np.linspace(0, 6, 8)])
    joints += rng.normal(size=joints.shape) * 1e-4
    template = mean_root_relative_joints(_write_xyz(tmp_path / 'training_xyz.json', joints))
    assert np.all(template[0] == 0)
    expected = shape - shape[:1]  # up to a rotation: compare shapes by their distances
    distances = np.linalg.norm(template[:, None] - template[None], axis=-1)
    np.testing.assert_allclose(distances, np.linalg.norm(
        expected[:, None] - expected[None], axis=-1), atol=1e-3)
    # a plain mean of the turned hands would have shrunk towards the wrist
    plain = (joints - joints[:, :1]).mean(0)
    assert np.ptp(plain, axis=0).sum() < 0.8 * np.ptp(template, axis=0).sum()
    sys.path.insert(0, osp.join(PROJECT_ROOT, 'tools'))
    from make_template import main
    main([str(tmp_path / 'training_xyz.json'), str(tmp_path / 'template.npy')])
    np.testing.assert_array_equal(np.load(tmp_path / 'template.npy'), template)
    with pytest.raises(ValueError, match='finite'):
        mean_root_relative_joints(_write_xyz(tmp_path / 'bad.json', joints[:, :20]))


def _model(template):
    """The project's estimator from its own scope; our head by prefix, its parts by plain
    names (ours); the test suite's tiny encoder."""
    import tests.test_models.test_heads.stand_ins  # noqa: F401  (TinyEncoder)
    with DefaultScope.overwrite_default_scope('keypoint_diffusion'):
        return MODELS.build(dict(
            type='KeypointDiffusionEstimator',
            backbone=dict(type='diffhand_mm.TinyEncoder'),
            head=dict(type='diffhand_mm.DiffusionMeshHead',
                      hand_model=dict(type='PointSetTopology', template=template),
                      decoder=dict(type='CrossModalityDecoder', dim=16, num_heads=2,
                                   ffn_ratio=2, num_levels=1, group_size=4),
                      loss_normal=None, sampling_steps=2)))


def test_head_without_faces_or_hand_model_learns_and_predicts_the_21_joints():
    from diffhand_mm.evaluation import MeshMetric
    from diffhand_mm.models.heads import DiffusionMeshHead
    from tests.test_models.test_heads.stand_ins import make_data_samples
    torch.manual_seed(0)
    samples = make_data_samples(2, size=64)
    template = (samples[0].gt_instances.joints_3d[0] -
                samples[0].gt_instances.joints_3d[0, :1]).numpy()
    model = _model(template.tolist())
    assert isinstance(model, KeypointDiffusionEstimator)
    assert isinstance(model.head, DiffusionMeshHead) and model.head.num_vertices == 21
    assert model.head.faces.shape == (0, 3) and model.head.loss_normal is None
    images = torch.rand(2, 3, 64, 64)
    losses = model(images, samples, mode='loss')
    assert 'loss_normal' not in losses and all(torch.isfinite(v) for v in losses.values())
    # the head's target is now the joints (every sample has them)
    assert samples[0].gt_instances.vertices.shape == (1, 21, 3)
    torch.testing.assert_close(samples[0].gt_instances.vertices, samples[0].gt_instances.joints_3d)
    sum(losses.values()).backward()
    model.eval()
    with torch.no_grad():
        predicted = model(images, samples, mode='predict')
    pred = predicted[0].pred_instances
    assert pred.joints_3d.shape == (1, 21, 3) and pred.keypoints.shape == (1, 21, 2)
    torch.testing.assert_close(pred.joints_3d, pred.vertices)  # identity regressor
    evaluator = Evaluator(MeshMetric(prefix='keypoints', skip_vertices=True))
    evaluator.process(predicted)
    scores = evaluator.evaluate(2)
    assert scores['keypoints/MPJPE'] > 0 and 'keypoints/MPVPE' not in scores


def test_topology_without_faces_refuses_a_normal_loss():
    template = np.zeros((21, 3)) + np.arange(21)[:, None] * 0.01
    with pytest.raises(ValueError, match='loss_normal=None'):
        from diffhand_mm.registry import MODELS as OURS
        OURS.build(dict(type='DiffusionMeshHead', in_channels=8, embed_dim=16,
                        hand_model=dict(type='PointSetTopology', template=template.tolist()),
                        decoder=dict(type='CrossModalityDecoder', dim=16, num_heads=2)))
    from diffhand_mm.models.heads import PointSetTopology
    with pytest.raises(ValueError, match='21 joints'):
        PointSetTopology(template[:20])
    with pytest.raises(FileNotFoundError, match='no_such.npy'):
        PointSetTopology('no_such.npy')


def test_config_uses_our_head_from_the_projects_scope():
    cfg = Config.fromfile(CONFIG)
    assert cfg.default_scope == 'keypoint_diffusion'
    assert cfg.model.head.type == 'diffhand_mm.DiffusionMeshHead'
    assert cfg.model.head.loss_normal is None
    assert {'MeshMetric', 'PCKAccuracy', 'EPE'} == {m['type'].__name__
                                                   for m in cfg.test_evaluator}


def _run(*args, env):
    proc = subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout + proc.stderr


def test_readme_commands_train_and_test_end_to_end(tmp_path):
    """The README's steps on a tiny SynthHand set: template from the data, train with the
    repository's tools/train.py, test with tools/test.py; 3D and MMPose 2D metrics come out."""
    from diffhand_mm.synth import write_synthhand
    env = dict(os.environ, OMP_NUM_THREADS='1',
               PYTHONPATH=os.pathsep.join([PROJECT_ROOT, REPO_ROOT]))
    data = tmp_path / 'synthhand'
    # README steps 1-2 in process (tools/make_synthhand.py and make_template.py are tested
    # elsewhere), steps 3-4 through the tools.
    write_synthhand(str(data), 8, 4, seed=0, image_size=128, progress=False)
    template = tmp_path / 'keypoint_template.npy'
    np.save(template, mean_root_relative_joints(str(data / 'training_xyz.json')))
    options = [f'{loader}.dataset.data_root={data}' for loader in
               ('train_dataloader', 'val_dataloader', 'test_dataloader')]
    options += [f'model.head.hand_model.template={template}', 'train_dataloader.batch_size=4',
                'model.test_cfg.sampling_steps=2']
    options += [f'{loader}.{key}' for loader in ('train_dataloader', 'val_dataloader',
                                                  'test_dataloader')
                for key in ('num_workers=0', 'persistent_workers=False')]
    _run('tools/train.py', CONFIG, '--work-dir', str(tmp_path / 'work'), '--no-validate',
         '--cfg-options', 'train_cfg.max_iters=3', *options, env=env)
    output = _run('tools/test.py', CONFIG, str(tmp_path / 'work' / 'iter_3.pth'), '--work-dir',
                  str(tmp_path / 'test'), '--out', str(tmp_path / 'metrics.json'),
                  '--cfg-options', *options, env=env)
    metrics = json.loads((tmp_path / 'metrics.json').read_text())
    assert {'keypoints/MPJPE', 'keypoints/PA-MPJPE', 'PCK', 'EPE'} <= set(metrics), metrics
    assert re.search(r'keypoints/PA-MPJPE: [\d.]+', output)

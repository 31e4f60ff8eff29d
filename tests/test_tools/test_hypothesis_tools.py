"""The hypothesis tools: fitting the learned selector, comparing rules, uncertainty calibration."""
import numpy as np
import pytest
import torch
from mmengine.config import Config

from diffhand_mm.apis import init_model
from diffhand_mm.apis.hypothesis_samples import (HypothesisSamples, load_samples,
                                                 sample_hypotheses, save_samples)
from diffhand_mm.registry import DATASETS, MODELS
from tests.test_datasets.dataset_writers import write_freihand

import diffhand_mm.models  # noqa: F401

TINY = 'configs/diffhand_tiny_synthhand.py'


@pytest.fixture(scope='module')
def selector_setup(tmp_path_factory):
    """A tiny FreiHAND-layout set, a selector config and a random model's checkpoint saved
    without the selector's weights (a model trained before the selector was fitted)."""
    root = tmp_path_factory.mktemp('selector')
    write_freihand(str(root), num=8, versions=1, split='training')
    write_freihand(str(root), num=3, versions=1, split='evaluation', seed=1)
    config = root / 'selector_config.py'
    config.write_text(
        'from mmengine.config import read_base\n\nwith read_base():\n'
        '    from diffhand_mm.configs.diffhand_tiny_synthhand import *  # noqa\n\n'
        "model.head.hypothesis_selector = dict(type='JointEvidenceSelector', hidden_dim=32)\n"
        "model.test_cfg = dict(sampling_steps=2, eta=0.0, num_hypotheses=1)\n")
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(TINY).model)
    checkpoint = root / 'trained.pth'
    torch.save(dict(state_dict=model.state_dict(), meta={}), checkpoint)
    return root, str(config), str(checkpoint)


def test_fit_trains_only_the_selector_and_marks_it_fitted(selector_setup):
    from tools.fit_hypothesis_selector import main
    root, config, checkpoint = selector_setup
    out = root / 'fitted.pth'
    result = main([config, checkpoint, '--out', str(out), '--epochs', '3', '--batch-size', '4',
                   '--val-fraction', '0.25', '--cfg-options',
                   f'train_dataloader.dataset.data_root={root}'])
    assert set(result) == {'train_loss', 'val_error_mm'} and result['val_error_mm'] > 0
    before = torch.load(checkpoint, weights_only=False)['state_dict']
    after = torch.load(out, weights_only=False)
    assert after['meta']['hypothesis_selector']['samples'] == 8
    for key, value in before.items():  # the model itself is untouched
        torch.testing.assert_close(after['state_dict'][key], value, rtol=0, atol=0)
    assert bool(after['state_dict']['head.hypothesis_selector.fitted'])
    # the fitted checkpoint loads strictly with the config, and K > 1 uses the selector
    model, _ = init_model(config, str(out))
    feats = model.extract_feat(torch.zeros(1, 3, 128, 128))
    hypotheses = model.head.sample_vertices(feats, 3, 2)
    index = model.head.hypothesis_selector(feats, hypotheses, model.head.regress_joints)[1]
    assert 0 <= index.item() < 3


def test_fit_refuses_a_selector_without_weights(selector_setup):
    from tools.fit_hypothesis_selector import main
    root, _, checkpoint = selector_setup
    with pytest.raises(ValueError, match='nothing to fit'):
        main([TINY, checkpoint, '--out', str(root / 'x.pth')])


def _samples_with_truth_among_hypotheses(head, num=3, k=4, seed=0):
    """Hypotheses around the template; the ground truth is hypothesis ``i % k`` of image i."""
    gen = torch.Generator().manual_seed(seed)
    template = head.root_relative(torch.as_tensor(
        np.load('diffhand_mm/hand/assets/open_hand_right.npz')['v_template'],
        dtype=torch.float32)[None])[0]
    hypotheses = template + 0.01 * torch.randn(num, k, *template.shape, generator=gen)
    hypotheses = head.root_relative(hypotheses.flatten(0, 1)).reshape(hypotheses.shape)
    truth = hypotheses[torch.arange(num), torch.arange(num) % k]
    joints = head.regress_joints(truth)
    return HypothesisSamples(hypotheses, truth, joints, torch.zeros(num, 288, 4, 4),
                             torch.zeros(num, 1024), steps=2)


def test_compare_rows_k1_mean_and_oracle():
    from tools.analysis.compare_hypothesis_rules import compare
    model = MODELS.build(Config.fromfile(TINY).model).eval()
    samples = _samples_with_truth_among_hypotheses(model.head)
    rows = {row['rule']: row for row in compare(model, samples)}
    oracle = rows['oracle best of 4 (PA-MPJPE)']
    assert oracle['pa_mpjpe'] < 1e-3 and oracle['roughness'] < 1e-3  # mm, deg
    assert rows['one sample (K = 1), mean of the K']['vs_k1'] == 0.0
    assert set(rows) >= {'first sample (hypothesis 0)', 'consensus of 4', 'per-vertex mean of 4'}


def test_samples_round_trip_and_shape_spread(tmp_path):
    from tools.analysis.evaluate_uncertainty import calibration, shape_spread
    model = MODELS.build(Config.fromfile(TINY).model).eval()
    samples = _samples_with_truth_among_hypotheses(model.head)
    path = str(tmp_path / 'samples.pt')
    save_samples(samples, path)
    loaded = load_samples(path)
    torch.testing.assert_close(loaded.hypotheses, samples.hypotheses)
    assert loaded.steps == 2
    # copies of the selected mesh, turned and scaled: no shape spread at all
    selected = samples.hypotheses[:, 0]
    angle = torch.tensor(0.5)
    rotation = torch.tensor([[angle.cos(), -angle.sin(), 0], [angle.sin(), angle.cos(), 0],
                             [0, 0, 1]])
    copies = torch.stack([selected, 1.2 * selected @ rotation.T], dim=1)
    assert shape_spread(copies, selected).abs().max() < 1e-5
    result = calibration(np.arange(20.0).reshape(2, 10), np.arange(20.0).reshape(2, 10) ** 2)
    assert result['all'] == pytest.approx(1.0) and result['within'] == pytest.approx(1.0)


def test_sample_hypotheses_shapes_and_relative_ground_truth(selector_setup):
    root, config, _ = selector_setup
    model, cfg = init_model(Config.fromfile(TINY))
    dataset = DATASETS.build(dict(type='FreiHANDDataset', data_root=str(root),
                                  split='evaluation', test_mode=True,
                                  pipeline=cfg.test_pipeline))
    samples = sample_hypotheses(model, dataset, num_hypotheses=2, steps=2, batch_size=2)
    assert samples.hypotheses.shape == (3, 2, 778, 3)
    assert samples.steps == 2
    torch.testing.assert_close(samples.gt_joints[:, 0], torch.zeros(3, 3))
    wrist = model.head.regress_joints(samples.hypotheses.flatten(0, 1))[:, 0]
    torch.testing.assert_close(wrist, torch.zeros_like(wrist), atol=1e-6, rtol=0)

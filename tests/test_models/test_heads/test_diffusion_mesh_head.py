import pytest
import torch

from diffhand_mm.models.heads import (DiffusionMeshHead, perspective_project,
                                      weak_perspective_project)
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples, small_head_cfg

import diffhand_mm.models  # noqa: F401


def _feats(batch=2, seed=0):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 8, 4, 4, generator=gen), torch.randn(batch, 16, generator=gen)


def test_loss_keys_and_masking_of_samples_without_vertices():
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg())
    losses = head.loss(_feats(), make_data_samples(2))
    assert set(losses) == {'loss_x0', 'loss_vertex', 'loss_joint', 'loss_joint_2d', 'loss_normal',
                           'loss_camera'}
    assert all(v.dim() == 0 and torch.isfinite(v) and v > 0 for v in losses.values())
    no_mesh = head.loss(_feats(), make_data_samples(2, has_vertices=[0, 0]))
    for key in ('loss_x0', 'loss_vertex', 'loss_normal'):
        assert no_mesh[key].item() == 0.0
    assert no_mesh['loss_joint'] > 0 and no_mesh['loss_joint_2d'] > 0
    assert no_mesh['loss_camera'] > 0


def test_camera_loss_projects_ground_truth_joints_and_trains_only_the_camera_path():
    from diffhand_mm.models.heads import pixels_to_normalized, weak_perspective_project
    from diffhand_mm.models.heads.sample_fields import stack_gt_field, stack_input_sizes
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg())
    samples = make_data_samples(2)
    feats = _feats()
    losses = head.loss(feats, samples)

    joints = stack_gt_field(samples, 'joints_3d', torch.device('cpu'))
    uv = pixels_to_normalized(stack_gt_field(samples, 'joints_2d', torch.device('cpu')),
                              stack_input_sizes(samples, torch.device('cpu')))
    joints = joints - joints[:, :1]
    camera = head.camera_head(*feats, joints)  # the predicted box, matched by the GT joints
    expected = (weak_perspective_project(joints, camera) - uv).abs().mean()
    torch.testing.assert_close(losses['loss_camera'], expected * head.loss_camera.loss_weight)

    head.zero_grad()
    losses['loss_camera'].backward()
    assert all(p.grad is None or p.grad.abs().sum() == 0 for p in head.decoder.parameters())
    assert any(p.grad is not None and p.grad.abs().sum() > 0
               for p in head.camera_head.parameters())


def test_camera_loss_can_be_switched_off():
    head = MODELS.build(dict(small_head_cfg(), loss_camera=None))
    assert 'loss_camera' not in head.loss(_feats(), make_data_samples(2))


def test_default_loss_weights():
    head = MODELS.build(small_head_cfg())
    weights = {name: getattr(head, name).loss_weight for name in
               ('loss_x0', 'loss_vertex', 'loss_joint', 'loss_joint_2d', 'loss_normal')}
    assert weights == dict(loss_x0=1.0, loss_vertex=1.0, loss_joint=1.0, loss_joint_2d=0.05,
                           loss_normal=0.05)


def test_missing_label_names_the_sample():
    head = MODELS.build(small_head_cfg())
    samples = make_data_samples(2)
    del samples[1].gt_instances.joints_2d
    with pytest.raises(KeyError, match=r'img1\.jpg.*joints_2d'):
        head.loss(_feats(), samples)


def test_predict_outputs_are_consistent_in_the_camera_frame():
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg()).eval()
    samples = make_data_samples(2)
    preds = head.predict(_feats(), samples)
    assert len(preds) == 2
    pred = preds[0]
    assert pred.vertices.shape == (1, 778, 3) and pred.joints_3d.shape == (1, 21, 3)
    assert pred.joints_2d.shape == (1, 21, 2) and 'vertex_uncertainty' not in pred
    K = torch.as_tensor(samples[0].metainfo['cam_K'])[None]
    torch.testing.assert_close(pred.joints_2d, perspective_project(pred.joints_3d, K))
    torch.testing.assert_close(pred.joints_3d, head.regress_joints(pred.vertices))
    # untrained camera: the prior box (half side 0.5, centred) around the predicted joints,
    # and the root depth of a pinhole camera with that scale, T_z = 2 fx / (s W)
    joints_rel = pred.joints_3d - pred.joints_3d[:, :1]
    projected = weak_perspective_project(joints_rel, pred.camera)
    low, high = projected.amin(1), projected.amax(1)
    torch.testing.assert_close((low + high) / 2, torch.zeros(1, 2), atol=1e-5, rtol=0)
    torch.testing.assert_close(((high - low) / 2).amax(-1), torch.tensor([0.5]))
    torch.testing.assert_close(pred.joints_3d[0, 0, 2], 2 * 150 / (pred.camera[0, 0] * 64))


def test_multi_hypothesis_shares_features_and_reports_uncertainty():
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg()).eval()
    batches = []
    original_forward = head.decoder.forward
    head.decoder.forward = lambda x_t, t, context: (batches.append(x_t.shape[0]),
                                                    original_forward(x_t, t, context))[1]
    preds = head.predict(_feats(), make_data_samples(2),
                         dict(num_hypotheses=3, sampling_steps=4, eta=0.5))
    assert batches == [6] * 4  # B * K rows per call, one call per DDIM step
    assert preds[0].vertex_uncertainty.shape == (1, 778)
    assert torch.all(preds[0].vertex_uncertainty > 0)
    assert 0 <= preds[0].hypothesis_index.item() < 3


def test_checkpoint_loads_at_other_timesteps_and_has_no_topology():
    trained = MODELS.build(small_head_cfg(num_timesteps=1000))
    state = trained.state_dict()
    assert not any(k.endswith(('alpha_bar', 'faces', 'joint_regressor')) or 'idx' in k
                   for k in state)
    other = MODELS.build(small_head_cfg(num_timesteps=200, sampling_steps=5)).eval()
    other.load_state_dict(state, strict=True)
    preds = other.predict(_feats(), make_data_samples(2), dict(sampling_steps=3))
    assert torch.isfinite(preds[0].vertices).all()


def test_ablations_build_train_and_behave():
    torch.manual_seed(0)
    no_diffusion = MODELS.build(small_head_cfg(use_diffusion=False)).eval()
    first = no_diffusion.predict(_feats(), make_data_samples(2))[0].vertices
    torch.testing.assert_close(no_diffusion.predict(_feats(), make_data_samples(2))[0].vertices,
                               first)
    with pytest.raises(ValueError, match='num_hypotheses'):
        no_diffusion.predict(_feats(), make_data_samples(2), dict(num_hypotheses=2))
    vanilla = MODELS.build(small_head_cfg(
        decoder=dict(type='VanillaMeshDecoder', dim=16, num_heads=2, num_layers=1)))
    assert isinstance(vanilla, DiffusionMeshHead)
    sum(vanilla.loss(_feats(), make_data_samples(2)).values()).backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0
               for p in vanilla.decoder.parameters())
    # the paper's first ablation row: vanilla decoder without diffusion
    plain = MODELS.build(small_head_cfg(
        use_diffusion=False, decoder=dict(type='VanillaMeshDecoder', dim=16, num_heads=2,
                                          num_layers=1)))
    assert set(plain.loss(_feats(), make_data_samples(2))) == set(vanilla.loss(
        _feats(), make_data_samples(2)))


def _expected_x0(head, samples):
    """(vertices - wrist) / vertex_scale with the wrist = row 0 of the joint regressor."""
    vertices = torch.cat([s.gt_instances.vertices for s in samples])
    wrist = torch.einsum('v,bvc->bc', head.joint_regressor[0], vertices)
    return (vertices - wrist[:, None]) / head.diffusion.vertex_scale


def test_training_feeds_the_decoder_the_noised_target_and_the_true_x0_scores_zero():
    """Catches a decoder fed the clean x0 instead of x_t, and a target that is not
    root-relative (or not normalised)."""
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg())
    samples = make_data_samples(4)
    x0 = _expected_x0(head, samples)
    for t_value in (999, 400, 0):
        a = float(head.diffusion.alpha_bar[t_value])
        calls = []
        head.diffusion.sample_timesteps = lambda batch, device, generator=None, t=t_value: \
            torch.full((batch,), t, dtype=torch.long, device=device)

        def oracle(x_t, t, *image):
            calls.append(x_t.detach().clone())
            return x0.clone()  # a perfect denoiser

        head.decoder.forward = oracle
        losses = head.loss(_feats(4), samples)
        x_t = calls[0]
        # x_t = sqrt(a) x0 + sqrt(1 - a) eps: the residual is unit noise, independent of x0
        eps = (x_t - a ** 0.5 * x0) / (1 - a) ** 0.5
        assert abs(eps.mean()) < 0.05 and abs(eps.std() - 1) < 0.05, t_value
        corr = torch.corrcoef(torch.stack([eps.flatten(), x0.flatten()]))[0, 1]
        assert abs(corr) < 0.05, t_value
        # the true x0 is a perfect prediction: every 3D term is zero
        for key in ('loss_x0', 'loss_vertex', 'loss_joint', 'loss_normal'):
            assert losses[key].item() == pytest.approx(0.0, abs=1e-6), (key, t_value)


def test_training_losses_do_not_depend_on_where_the_hand_is():
    """A target in camera coordinates (not root-relative) would change with the hand's place."""
    head = MODELS.build(small_head_cfg())
    samples = make_data_samples(2)
    moved = make_data_samples(2)
    shift = torch.tensor([0.05, -0.03, 0.2])
    for sample in moved:
        sample.gt_instances.vertices = sample.gt_instances.vertices + shift
        sample.gt_instances.joints_3d = sample.gt_instances.joints_3d + shift
    torch.manual_seed(3)
    here = head.loss(_feats(), samples)
    torch.manual_seed(3)
    there = head.loss(_feats(), moved)
    for key in ('loss_x0', 'loss_vertex', 'loss_joint', 'loss_normal'):
        torch.testing.assert_close(there[key], here[key], rtol=1e-4, atol=1e-6)

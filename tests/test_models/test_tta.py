"""Test-time augmentation: exact crop geometry, and that predictions are mapped back."""
import math

import cv2
import numpy as np
import pytest
import torch

from diffhand_mm.models.tta import (GRAPHORMER_TTA, apply_similarity, augmentation_list,
                                    crop_augmentation, normalized_black, similarity_transform,
                                    warp_images)
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples, small_head_cfg

import diffhand_mm.models  # noqa: F401

SIZE = 64


def _model(**test_cfg):
    head = small_head_cfg()
    del head['in_channels'], head['embed_dim']
    return MODELS.build(dict(type='DiffHand', backbone=dict(type='TinyEncoder'), head=head,
                             test_cfg=test_cfg)).eval()


def test_augmentation_list_starts_with_identity_and_rejects_bad_values():
    assert augmentation_list(dict(rotations=[-10, 0], scales=[1.0, 1.2])) == [
        (0.0, 1.0), (-10.0, 1.0), (-10.0, 1.2), (0.0, 1.2)]
    with pytest.raises(ValueError, match='scales must be > 0'):
        augmentation_list(dict(scales=[0.0]))
    with pytest.raises(ValueError, match='unknown keys'):
        augmentation_list(dict(rotation=[10]))
    with pytest.raises(ValueError, match='align'):
        augmentation_list(dict(align='mean'))
    with pytest.raises(ValueError, match='batch_passes'):
        augmentation_list(dict(batch_passes=0))


def test_graphormer_set_is_19_rotations_by_5_scales():
    passes = augmentation_list(GRAPHORMER_TTA)
    assert len(passes) == 95 and passes[0] == (0.0, 1.0)
    assert sorted({a for a, _ in passes}) == [float(a) for a in range(-90, 91, 10)]
    assert sorted({s for _, s in passes}) == [0.7, 0.8, 0.9, 1.0, 1.1]


def test_similarity_transform_recovers_scale_rotation_translation_and_never_reflects():
    gen = torch.Generator().manual_seed(0)
    points = torch.randn(2, 50, 3, generator=gen)
    c, s = math.cos(0.7), math.sin(0.7)
    rotation = torch.tensor([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])
    target = 1.7 * points @ rotation.T + torch.tensor([0.1, -0.2, 0.3])
    scale, found, translation = similarity_transform(points, target)
    torch.testing.assert_close(scale, torch.full((2,), 1.7, dtype=torch.float64))
    torch.testing.assert_close(found.float(), rotation.expand(2, 3, 3), atol=1e-5, rtol=0)
    torch.testing.assert_close(apply_similarity(points, (scale, found, translation)), target,
                               atol=1e-5, rtol=0)
    # a mirrored target (a left hand) is not reached by a reflection
    _, mirrored, _ = similarity_transform(points, points * torch.tensor([-1.0, 1.0, 1.0]))
    assert torch.allclose(torch.det(mirrored), torch.ones(2, dtype=torch.float64))


def test_rotation_about_centre_ray_is_exact_for_an_off_centre_principal_point():
    # A crop of an off-centre hand: the principal point lies far outside the 64 px crop.
    K = torch.tensor([[[200.0, 0.0, -150.0], [0.0, 200.0, 300.0], [0.0, 0.0, 1.0]]])
    size = torch.tensor([[SIZE, SIZE]])
    image_map, rotation, aug_K = crop_augmentation(K, size, 25.0, 1.3)
    points = torch.tensor([[0.05, -0.02, 0.6], [-0.3, 0.2, 0.8], [0.1, 0.1, 0.4]])
    # pixels of the rotated points under the augmented intrinsics == mapped pixels
    projected = (points @ rotation[0].T) @ aug_K[0].T
    projected = projected[:, :2] / projected[:, 2:]
    original = points @ K[0].T
    mapped = torch.cat([original[:, :2] / original[:, 2:], torch.ones(3, 1)], 1) @ image_map[0].T
    torch.testing.assert_close(projected, mapped[:, :2] / mapped[:, 2:], atol=1e-3, rtol=0)
    # the crop centre stays put, and R is a proper rotation by 25 degrees
    centre = image_map[0] @ torch.tensor([31.5, 31.5, 1.0])
    torch.testing.assert_close(centre[:2] / centre[2], torch.tensor([31.5, 31.5]))
    assert math.isclose(float(torch.det(rotation[0])), 1.0, abs_tol=1e-5)
    assert math.isclose(math.degrees(math.acos((float(rotation[0].trace()) - 1) / 2)), 25.0,
                        abs_tol=1e-3)


def test_warp_moves_a_dot_clockwise_and_fills_with_black():
    K = torch.tensor([[[100.0, 0.0, 16.0], [0.0, 100.0, 16.0], [0.0, 0.0, 1.0]]])
    image_map, _, _ = crop_augmentation(K, torch.tensor([[33, 33]]), 90.0, 1.0)
    # x right, y down: +90 degrees turns (+10, 0) from the centre into (0, +10)
    torch.testing.assert_close(image_map[0], torch.tensor(
        [[0.0, -1.0, 32.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]), atol=1e-5, rtol=0)
    image = torch.zeros(1, 3, 33, 33)
    image[0, :, 16, 26] = 1.0
    fill = torch.tensor([-2.0, -3.0, -4.0])
    warped = warp_images(image, image_map, fill)
    torch.testing.assert_close(warped[0, :, 26, 16], torch.ones(3), atol=1e-5, rtol=0)
    assert warped[0, 0].gt(0.5).sum() == 1
    # zooming out by 2 shows the outside of the crop: black after normalisation
    small, _, _ = crop_augmentation(K, torch.tensor([[33, 33]]), 0.0, 0.5)
    torch.testing.assert_close(warp_images(image, small, fill)[0, :, 0, 0], fill)


def test_normalized_black_is_what_the_preprocessor_makes_of_zeros():
    model = _model()
    data = model.data_preprocessor(dict(inputs=[torch.zeros(3, 4, 4, dtype=torch.uint8)]))
    torch.testing.assert_close(normalized_black(model.data_preprocessor),
                               data['inputs'][0, :, 0, 0])


def _bar_image(angle_deg: float) -> np.ndarray:
    image = np.zeros((SIZE, SIZE, 3), np.uint8)
    c, s = math.cos(math.radians(angle_deg)), math.sin(math.radians(angle_deg))
    end = np.array([c, s]) * 20
    start, stop = np.round(31.5 - end).astype(int), np.round(31.5 + end).astype(int)
    cv2.line(image, tuple(start), tuple(stop), (255, 255, 255), 3, cv2.LINE_AA)
    return image


def _install_orientation_oracle(model, fill):
    """A stand-in network that sees the bar's image angle phi and answers R_z(phi) @ template,
    i.e. a perfectly rotation-equivariant predictor."""
    base = torch.randn(778, 3, generator=torch.Generator().manual_seed(1)) * 0.03

    def extract_feat(images):
        intensity = (images - fill.reshape(1, 3, 1, 1))[:, 0].clamp(min=0)
        ys, xs = torch.meshgrid(torch.arange(SIZE, dtype=torch.float32),
                                torch.arange(SIZE, dtype=torch.float32), indexing='ij')
        mass = intensity.sum((1, 2))
        mx, my = (intensity * xs).sum((1, 2)) / mass, (intensity * ys).sum((1, 2)) / mass
        dx, dy = xs - mx[:, None, None], ys - my[:, None, None]
        mu20, mu02 = (intensity * dx * dx).sum((1, 2)), (intensity * dy * dy).sum((1, 2))
        mu11 = (intensity * dx * dy).sum((1, 2))
        angle = 0.5 * torch.atan2(2 * mu11, mu20 - mu02)
        return angle, torch.zeros(len(images), model.backbone.embed_dim)

    def sample_vertices(feats, num_hypotheses=1, sampling_steps=None, eta=None, **kwargs):
        angle = feats[0]
        c, s, z, o = angle.cos(), angle.sin(), torch.zeros_like(angle), torch.ones_like(angle)
        rotation = torch.stack([c, -s, z, s, c, z, z, z, o], -1).reshape(-1, 3, 3)
        meshes = base @ rotation.transpose(1, 2)
        return meshes[:, None].expand(-1, num_hypotheses, -1, -1)

    class FixedCamera(torch.nn.Module):  # the oracle has no feature map to read a camera from

        def forward(self, feature_map, embedding, joints):
            return torch.tensor([[8.0, 0.0, 0.0]]).expand(len(embedding), 3)

    model.extract_feat = extract_feat
    model.head.sample_vertices = sample_vertices
    model.head.camera_head = FixedCamera()
    return base


def _predict(model, image):
    sample = make_data_samples(1, size=SIZE)[0]
    inputs = torch.from_numpy(image.transpose(2, 0, 1).copy())
    return model.test_step(dict(inputs=[inputs], data_samples=[sample]))[0].pred_instances


@pytest.mark.parametrize('align', ['none', 'procrustes'])
def test_tta_undoes_rotations_of_an_equivariant_predictor(align):
    # With align='none' nothing but the undo maps the passes back: a wrong undo (R instead of
    # R^T) is off by up to 24 degrees, ~7 mm on this mesh.
    model = _model(tta=dict(rotations=[-12.0, 0.0, 12.0], scales=[0.8, 1.0, 1.25], align=align))
    _install_orientation_oracle(model, normalized_black(model.data_preprocessor))
    image = _bar_image(20.0)
    augmented = _predict(model, image)
    model.test_cfg.pop('tta')
    plain = _predict(model, image)
    error = (augmented.vertices - plain.vertices).norm(dim=-1).max()
    assert error < 5e-4
    torch.testing.assert_close(augmented.joints_2d, plain.joints_2d, atol=0.5, rtol=0)


def _install_pass_perturbing_predictor(model):
    """Pass p (in call order) answers the base mesh moved by a random similarity (s, R, t);
    pass 0, the un-augmented one, answers it unchanged. Counts the encoder calls."""
    base = torch.randn(778, 3, generator=torch.Generator().manual_seed(2)) * 0.03
    gen = torch.Generator().manual_seed(3)
    state = dict(rows=0, encoder_calls=0)
    original_extract = model.extract_feat

    def extract_feat(images):
        state['encoder_calls'] += 1
        return original_extract(images)

    def sample_vertices(feats, num_hypotheses=1, sampling_steps=None, eta=None, **kwargs):
        meshes = []
        for _ in range(feats[1].shape[0]):
            if state['rows'] == 0:
                meshes.append(base)
            else:
                q, _ = torch.linalg.qr(torch.randn(3, 3, generator=gen))
                q = q * torch.sign(torch.det(q))
                scale = 0.8 + 0.4 * torch.rand((), generator=gen)
                meshes.append(scale * base @ q.T + 0.01 * torch.randn(3, generator=gen))
            state['rows'] += 1
        return torch.stack(meshes)[:, None].expand(-1, num_hypotheses, -1, -1)

    model.extract_feat = extract_feat
    model.head.sample_vertices = sample_vertices
    return state


@pytest.mark.parametrize('batch_passes', [None, 2])
def test_procrustes_aligns_every_pass_to_the_unaugmented_one(batch_passes):
    image = np.random.default_rng(1).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    tta = dict(rotations=[0.0, 20.0], scales=[1.0, 0.9], batch_passes=batch_passes)
    model = _model(tta=dict(tta, align='procrustes'))
    state = _install_pass_perturbing_predictor(model)
    aligned = _predict(model, image)
    assert state['encoder_calls'] == (1 if batch_passes is None else 2)  # 4 passes, batch 1
    model = _model()
    _install_pass_perturbing_predictor(model)
    plain = _predict(model, image)
    torch.testing.assert_close(aligned.vertices, plain.vertices, atol=1e-5, rtol=0)
    model = _model(tta=dict(tta, align='none'))
    _install_pass_perturbing_predictor(model)
    unaligned = _predict(model, image)
    assert (unaligned.vertices - plain.vertices).norm(dim=-1).max() > 3e-3


def test_identity_tta_equals_plain_prediction_and_reports_uncertainty():
    model = _model(num_hypotheses=3, sampling_steps=2)
    image = np.random.default_rng(0).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    torch.manual_seed(5)
    plain = _predict(model, image)
    model.test_cfg['tta'] = dict(rotations=[0.0], scales=[1.0])
    torch.manual_seed(5)
    augmented = _predict(model, image)
    torch.testing.assert_close(augmented.vertices, plain.vertices)
    torch.testing.assert_close(augmented.vertex_uncertainty, plain.vertex_uncertainty)


def test_each_pass_returns_the_hypothesis_the_heads_selector_chooses():
    """With K > 1 a pass selects as ``predict`` does (the head's selector, that pass's
    features): a selector that always picks the last hypothesis makes the identity-only TTA
    return exactly what ``predict`` returns, and it is asked once per encoder call."""
    from diffhand_mm.models.heads import HypothesisSelector

    class PickLast(HypothesisSelector):

        calls = 0

        def scores(self, feats, hypotheses, regress_joints):
            PickLast.calls += 1
            assert feats[1].shape[0] == hypotheses.shape[0]  # the pass's own features
            order = torch.arange(hypotheses.shape[1], dtype=hypotheses.dtype)
            return (-order).expand(hypotheses.shape[0], -1)

    image = np.random.default_rng(4).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)
    model = _model(num_hypotheses=3)
    consensus = model.head.hypothesis_selector
    model.head.hypothesis_selector = PickLast()
    results = []
    for tta in (None, dict(rotations=[0.0], scales=[1.0], align='none')):
        model.test_cfg.pop('tta', None)
        if tta:
            model.test_cfg['tta'] = tta
        torch.manual_seed(0)
        results.append(_predict(model, image))
    assert PickLast.calls == 2
    torch.testing.assert_close(results[1].vertices, results[0].vertices, atol=1e-6, rtol=0)
    model.head.hypothesis_selector = consensus  # another rule, another mesh: the check can fail
    torch.manual_seed(0)
    assert (_predict(model, image).vertices - results[0].vertices).abs().max() > 1e-4

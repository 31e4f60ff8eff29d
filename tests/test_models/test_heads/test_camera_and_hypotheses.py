import torch

from diffhand_mm.models.heads import (normalized_to_pixels, perspective_project,
                                      pixels_to_normalized, select_consensus_hypothesis,
                                      weak_perspective_project, weak_perspective_to_translation)


def test_normalised_crop_coordinates_edges():
    size = torch.tensor([[128.0, 64.0]])
    edges = torch.tensor([[[-0.5, -0.5], [127.5, 63.5], [63.5, 31.5]]])
    torch.testing.assert_close(pixels_to_normalized(edges, size),
                               torch.tensor([[[-1.0, -1.0], [1.0, 1.0], [0.0, 0.0]]]))
    torch.testing.assert_close(normalized_to_pixels(pixels_to_normalized(edges, size), size), edges)


def test_weak_perspective_translation_matches_pinhole_camera():
    fx, W = 300.0, 128.0
    K = torch.tensor([[[fx, 0, 60.0], [0, fx, 70.0], [0, 0, 1]]])
    root = torch.tensor([[0.05, -0.02, 0.6]])
    root_px = perspective_project(root[:, None], K)[0, 0]
    # hand-derived camera: s = 2 fx / (W Tz); (tx, ty) = the root pixel, normalised
    s = 2 * fx / (W * 0.6)
    t = pixels_to_normalized(root_px[None, None], torch.tensor([[W, W]]))[0, 0]
    camera = torch.tensor([[s, t[0], t[1]]])
    torch.testing.assert_close(weak_perspective_to_translation(camera, K, torch.tensor([[W, W]])),
                               root)
    # a point 1 cm right of the root: weak and full perspective agree to first order
    point = torch.tensor([[[0.01, 0.0, 0.0]]])
    weak_px = normalized_to_pixels(weak_perspective_project(point, camera), torch.tensor([[W, W]]))
    full_px = perspective_project(point + root[:, None], K)
    torch.testing.assert_close(weak_px, full_px, atol=1e-3, rtol=0)


def test_consensus_selection_ignores_an_outlier_and_reports_spread():
    base = torch.zeros(1, 1, 4, 3)
    hypotheses = torch.cat([base, base + 0.001, base + 0.002, base + 1.0], dim=1)  # (1,4,4,3)
    selected, index, spread = select_consensus_hypothesis(hypotheses)
    assert index.item() == 1  # the lower median is hypothesis 1 itself
    torch.testing.assert_close(selected, hypotheses[:, 1])
    # two hypotheses at x=0 and x=2: mean 1, RMS distance 1 at every vertex
    pair = torch.zeros(1, 2, 3, 3)
    pair[:, 1, :, 0] = 2.0
    torch.testing.assert_close(select_consensus_hypothesis(pair)[2], torch.ones(1, 3))


def test_camera_head_sees_where_the_hand_is_in_the_feature_map():
    from diffhand_mm.models.heads import WeakPerspectiveCameraHead
    torch.manual_seed(0)
    head = WeakPerspectiveCameraHead(embed_dim=8, feature_channels=4, pool_size=4)
    torch.nn.init.normal_(head.box_mlp[-1].weight, std=0.5)
    embedding = torch.randn(1, 8)
    left = torch.zeros(1, 4, 8, 8)
    left[..., 2:4, 1:3] = 1.0  # a blob of activation on the left...
    right = left.flip(-1)       # ...and the same blob on the right: same global average
    box_left, box_right = head.predict_box(left, embedding), head.predict_box(right, embedding)
    assert not torch.allclose(box_left[:, 1:], box_right[:, 1:], atol=1e-4)
    # Without the feature map (embedding only) the two would be indistinguishable.
    blind = WeakPerspectiveCameraHead(embed_dim=8, feature_channels=None)
    torch.testing.assert_close(blind.predict_box(left, embedding),
                               blind.predict_box(right, embedding))


def _random_joints(batch=3, seed=0):
    joints = torch.randn(batch, 21, 3, generator=torch.Generator().manual_seed(seed)) * 0.04
    return joints - joints[:, :1]  # root-relative, metres


def test_box_to_camera_puts_the_projected_joints_box_exactly_on_the_box():
    from diffhand_mm.models.heads import box_to_camera
    joints = _random_joints()
    box = torch.tensor([[0.5, 0.1, -0.2], [0.3, -0.4, 0.0], [0.8, 0.0, 0.3]])
    projected = weak_perspective_project(joints, box_to_camera(box, joints))
    low, high = projected.amin(1), projected.amax(1)
    torch.testing.assert_close((low + high) / 2, box[:, 1:])
    torch.testing.assert_close(((high - low) / 2).amax(-1), box[:, 0])
    # the root lands where the joints' shape puts it inside the box, not at the box centre
    assert not torch.allclose(projected[:, 0], box[:, 1:], atol=1e-3)


def test_box_camera_recovers_the_pinhole_root_from_the_true_box():
    """The true 2D box of perspective-projected joints gives back the root position."""
    from diffhand_mm.models.heads import box_to_camera
    joints = _random_joints(1)
    root = torch.tensor([[0.03, -0.02, 0.8]])
    W = 128.0
    K = torch.tensor([[[600.0, 0, 63.5], [0, 600.0, 63.5], [0, 0, 1]]])
    size = torch.tensor([[W, W]])
    uv = pixels_to_normalized(perspective_project(joints + root[:, None], K), size)
    low, high = uv.amin(1), uv.amax(1)
    box = torch.cat([((high - low) / 2).amax(-1, keepdim=True), (low + high) / 2], dim=1)
    estimate = weak_perspective_to_translation(box_to_camera(box, joints), K, size)
    # weak perspective: depth within a few per cent of 0.8 m, x/y within millimetres
    assert abs(estimate[0, 2] - 0.8) < 0.03
    assert (estimate[0, :2] - root[0, :2]).abs().max() < 0.003


def test_untrained_camera_head_predicts_the_prior_box_centred():
    from diffhand_mm.models.heads import WeakPerspectiveCameraHead
    head = WeakPerspectiveCameraHead(embed_dim=8, feature_channels=4, box_prior=0.45)
    box = head.predict_box(torch.randn(2, 4, 6, 6), torch.randn(2, 8))
    torch.testing.assert_close(box, torch.tensor([[0.45, 0.0, 0.0]] * 2))
    joints = _random_joints(2)
    camera = head(torch.randn(2, 4, 6, 6), torch.randn(2, 8), joints)
    projected = weak_perspective_project(joints, camera)
    torch.testing.assert_close(((projected.amax(1) - projected.amin(1)) / 2).amax(-1),
                               torch.tensor([0.45, 0.45]))


def test_a_directly_regressed_camera_head_does_not_load_silently():
    """Old heads (same shapes, outputs meant as (s, t)) must show up as key mismatches."""
    from diffhand_mm.models.heads import WeakPerspectiveCameraHead
    head = WeakPerspectiveCameraHead(embed_dim=8, feature_channels=4)
    old_style = {k.replace('box_mlp.', 'mlp.'): v for k, v in head.state_dict().items()}
    result = head.load_state_dict(old_style, strict=False)
    assert result.missing_keys and all(k.startswith('box_mlp.') for k in result.missing_keys)
    assert result.unexpected_keys and all(k.startswith('mlp.') for k in result.unexpected_keys)

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
    torch.nn.init.normal_(head.mlp[-1].weight, std=0.5)
    embedding = torch.randn(1, 8)
    left = torch.zeros(1, 4, 8, 8)
    left[..., 2:4, 1:3] = 1.0  # a blob of activation on the left...
    right = left.flip(-1)       # ...and the same blob on the right: same global average
    camera_left, camera_right = head(left, embedding), head(right, embedding)
    assert not torch.allclose(camera_left[:, 1:], camera_right[:, 1:], atol=1e-4)
    # Without the feature map (embedding only) the two would be indistinguishable.
    blind = WeakPerspectiveCameraHead(embed_dim=8, feature_channels=None)
    torch.testing.assert_close(blind(left, embedding), blind(right, embedding))

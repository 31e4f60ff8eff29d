import math

import pytest
import torch

from diffhand_mm.models.losses import face_edges, face_normals
from diffhand_mm.registry import MODELS

import diffhand_mm.models  # noqa: F401  (registers the losses)


def build(type_, weight):
    return MODELS.build(dict(type=type_, loss_weight=weight))


def test_x0_mse_hand_computed_with_mask():
    pred = torch.tensor([[[1.0, 2.0, 3.0]], [[100.0, 0.0, 0.0]]])
    target = torch.zeros_like(pred)
    # sample 1 is masked out: (1 + 4 + 9) / 3 = 14 / 3, times the weight
    loss = build('X0MSELoss', 2.0)(pred, target, torch.tensor([1.0, 0.0]))
    assert loss.item() == pytest.approx(2.0 * 14 / 3)


@pytest.mark.parametrize('type_', ['VertexL1Loss', 'JointL1Loss', 'Joint2DL1Loss'])
def test_l1_losses_hand_computed(type_):
    pred = torch.tensor([[[1.0, -2.0], [0.0, 0.0]], [[3.0, 3.0], [3.0, 3.0]]])
    target = torch.zeros_like(pred)
    # all samples: (1.5 + 0 + 3 + 3) / 4 points
    assert build(type_, 1.0)(pred, target).item() == pytest.approx(7.5 / 4)
    # per-point mask: only the first point of sample 0 and of sample 1 -> (1.5 + 3) / 2
    mask = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    assert build(type_, 0.5)(pred, target, mask).item() == pytest.approx(0.5 * 4.5 / 2)


def test_all_masked_loss_is_zero_and_differentiable():
    pred = torch.ones(2, 4, 3, requires_grad=True)
    loss = build('VertexL1Loss', 1.0)(pred, torch.zeros(2, 4, 3), torch.zeros(2))
    loss.backward()
    assert loss.item() == 0.0 and torch.count_nonzero(pred.grad) == 0


def test_face_normals_and_normal_consistency_hand_computed():
    triangle = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]])
    faces = torch.tensor([[0, 1, 2]])
    torch.testing.assert_close(face_normals(triangle * 3, faces), torch.tensor([[[0.0, 0, 1]]]))
    loss = build('NormalConsistencyLoss', 0.05)
    # same orientation (any scale) -> 0; flipped winding -> 1 - (-1) = 2
    assert loss(triangle * 2, triangle, faces).item() == pytest.approx(0.0, abs=1e-7)
    assert loss(triangle, triangle[:, [0, 2, 1]], faces).item() == pytest.approx(0.05 * 2)
    # rotated 60 degrees about x: the normal tilts 60 degrees -> 1 - cos 60 = 0.5
    c, s = math.cos(math.pi / 3), math.sin(math.pi / 3)
    rot = torch.tensor([[1.0, 0, 0], [0, c, -s], [0, s, c]])
    assert loss(triangle @ rot.T, triangle, faces).item() == pytest.approx(0.05 * 0.5, rel=1e-5)


@pytest.mark.parametrize('type_', ['MaskedMSELoss', 'X0MSELoss', 'VertexMSELoss', 'JointMSELoss',
                                   'Joint2DMSELoss'])
def test_mse_losses_hand_computed(type_):
    pred = torch.tensor([[[1.0, -2.0], [0.0, 0.0]], [[3.0, 3.0], [3.0, 3.0]]])
    target = torch.zeros_like(pred)
    # per point: mean of squares -> 2.5, 0, 9, 9
    assert build(type_, 1.0)(pred, target).item() == pytest.approx(20.5 / 4)
    mask = torch.tensor([[1.0, 0.0], [1.0, 0.0]])
    assert build(type_, 0.5)(pred, target, mask).item() == pytest.approx(0.5 * 11.5 / 2)
    assert build(type_, 1.0)(pred, target, torch.tensor([0.0, 1.0])).item() == pytest.approx(9)


def test_face_edges_order():
    triangle = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 2, 0]]])
    torch.testing.assert_close(face_edges(triangle, torch.tensor([[0, 1, 2]])), torch.tensor(
        [[[[1.0, 0, 0], [-1, 2, 0], [0, -2, 0]]]]))


def test_edge_normal_loss_hand_computed():
    triangle = torch.tensor([[[0.0, 0, 0], [1, 0, 0], [0, 1, 0]]])
    faces = torch.tensor([[0, 1, 2]])
    loss = build('EdgeNormalLoss', 0.05)
    # a face parallel to the ground truth scores 0 whatever its size, position or winding
    moved = triangle * 3 + torch.tensor([0.2, -1.0, 0.7])
    assert loss(moved, triangle, faces).item() == pytest.approx(0.0, abs=1e-7)
    assert loss(triangle[:, [0, 2, 1]], triangle, faces).item() == pytest.approx(0.0, abs=1e-7)
    # tilted 60 degrees about x: unit edges (1,0,0), (-1,c,s)/sqrt2, (0,-c,-s) against (0,0,1)
    c, s = math.cos(math.pi / 3), math.sin(math.pi / 3)
    rot = torch.tensor([[1.0, 0, 0], [0, c, -s], [0, s, c]])
    expected = (0 + s / math.sqrt(2) + s) / 3
    assert loss(triangle @ rot.T, triangle, faces).item() == pytest.approx(0.05 * expected,
                                                                          rel=1e-5)
    # without normalisation the out-of-plane components count in the prediction's units
    raw = MODELS.build(dict(type='EdgeNormalLoss', loss_weight=1.0, normalize_edges=False))
    assert raw(2 * triangle @ rot.T, triangle, faces).item() == pytest.approx(
        2 * (0 + s + s) / 3, rel=1e-5)
    # masked samples add nothing
    pred = torch.cat([triangle @ rot.T, triangle]).requires_grad_()
    value = loss(pred, torch.cat([triangle, triangle]), faces, torch.tensor([0.0, 1.0]))
    value.backward()
    assert value.item() == pytest.approx(0.0, abs=1e-7)
    assert torch.count_nonzero(pred.grad[0]) == 0

"""Pose sampler (limits, coupling, no interpenetration, mirror symmetry) and pose prior."""
import pytest
import torch

from diffhand_mm.hand import HandPosePrior, HandPoseSampler, OpenHandModel, mirror_pose
from diffhand_mm.hand.pose_sampler import segment_distance
from diffhand_mm.hand.pose_space import axis_angle_to_local, joint_limits

torch.set_num_threads(1)


@pytest.fixture(scope='module')
def model():
    return OpenHandModel()


@pytest.fixture(scope='module')
def sampler(model):
    return HandPoseSampler(model)


def test_segment_distance_closed_form():
    p0, p1 = torch.tensor([0.0, 0, 0]), torch.tensor([1.0, 0, 0])
    assert segment_distance(p0, p1, torch.tensor([0.5, 1, 0]), torch.tensor([0.5, 1, 2])) \
        == pytest.approx(1.0)  # skew segments
    assert segment_distance(p0, p1, torch.tensor([2.0, 0, 0]), torch.tensor([3.0, 0, 0])) \
        == pytest.approx(1.0)  # collinear, end to end
    assert segment_distance(p0, p1, torch.tensor([0.0, 1, 0]), torch.tensor([1.0, 1, 0])) \
        == pytest.approx(1.0)  # parallel


def test_samples_within_limits_coupled_and_free(sampler):
    pose = sampler(64, seed=0)
    assert pose.shape == (64, 16, 3)
    assert torch.equal(pose, sampler(64, seed=0))  # deterministic with a seed
    local = axis_angle_to_local(pose[:, 1:].double(), sampler.frames)
    limits = joint_limits().double()
    assert (local >= limits[..., 0] - 1e-5).all() and (local <= limits[..., 1] + 1e-5).all()
    assert not sampler.interpenetrates(pose[:, 1:].double()).any()
    # DIP follows 2/3 of PIP (index: PIP = joint 2, DIP = joint 3).
    gap = local[:, 2, 0] - 2 / 3 * local[:, 1, 0]
    assert gap.abs().mean() < 0.1
    assert local[:, :, 0].std() > 0.2  # the samples do vary


def test_collision_detector_flags_crossed_fingers(sampler):
    pose = torch.zeros(1, 15, 3, dtype=torch.float64)
    assert not sampler.interpenetrates(pose).any()
    # Index swung 35 deg towards the pinky side crosses the middle finger.
    local = torch.zeros(1, 15, 3, dtype=torch.float64)
    local[0, 0, 1] = -0.6
    crossed = torch.einsum('bjk,jkc->bjc', local, sampler.frames)
    assert sampler.interpenetrates(crossed).all()


def test_flexion_curls_towards_the_palm(model, sampler):
    local = torch.zeros(1, 15, 3, dtype=torch.float64)
    local[0, 3:6, 0] = torch.tensor([1.2, 1.2, 0.8])  # middle finger MCP, PIP, DIP
    pose = torch.cat([torch.zeros(1, 1, 3), torch.einsum(
        'bjk,jkc->bjc', local, sampler.frames).float()], 1)
    tip = model(pose=pose).joints[0, 12]
    rest_tip = model().joints[0, 12]
    assert tip[2] > rest_tip[2] + 0.03  # towards +z, the palmar side
    assert tip[1] < rest_tip[1] - 0.05


def test_left_sampler_is_mirror_of_right(sampler):
    left = HandPoseSampler(OpenHandModel(side='left'))
    torch.testing.assert_close(left(16, seed=3), mirror_pose(sampler(16, seed=3)),
                               atol=1e-5, rtol=0)


def test_prior_prefers_plausible_poses_and_has_gradients(model, sampler):
    prior = HandPosePrior(model)
    plausible = sampler(32, seed=1)
    hyper = torch.zeros(1, 15, 3, dtype=torch.float64)
    hyper[0, 1, 0] = -1.0  # index PIP bent 57 deg backwards
    hyper = torch.einsum('bjk,jkc->bjc', hyper, sampler.frames).float()
    nll_plausible = prior(plausible)
    assert nll_plausible.shape == (32,)
    assert prior(hyper) > nll_plausible.max()
    pose = plausible[:2].clone().requires_grad_()
    prior(pose).sum().backward()
    assert pose.grad[:, 1:].abs().sum() > 0 and pose.grad[:, 0].abs().sum() == 0

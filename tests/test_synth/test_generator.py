"""Scene sampling of the SynthHand generator: views, framing, occluders, versions."""
import numpy as np
import pytest
import torch

from diffhand_mm.synth import SynthHandGenerator


@pytest.fixture(scope='module')
def samples():
    generator = SynthHandGenerator(seed=7, occluder_probability=1.0)
    return generator, [generator.sample(i) for i in range(24)]


def test_views_show_the_requested_side_of_the_hand(samples):
    _, items = samples
    seen = set()
    for s in items:
        # Palm normal of the right hand: (index MCP - wrist) x (pinky MCP - wrist).
        normal = np.cross(s.joints[5] - s.joints[0], s.joints[17] - s.joints[0])
        towards_camera = -normal[2] / np.linalg.norm(normal)
        if s.view == 'palm':
            assert towards_camera > 0.2
        elif s.view == 'back':
            assert towards_camera < -0.2
        seen.add(s.view)
    assert {'palm', 'back', 'side'} <= seen


def test_hand_is_framed_inside_the_image(samples):
    _, items = samples
    for s in items:
        x1, y1, x2, y2 = s.bbox
        assert x1 >= 0 and y1 >= 0 and x2 <= 223 and y2 <= 223
        # Fill range 0.4-0.8 is set on the 3D extent; perspective moves it a little.
        assert 0.3 <= max(x2 - x1, y2 - y1) / 224 <= 0.95
        assert s.hand_mask.sum() > 500


def test_occluders_hide_at_most_forty_percent_and_cut_the_mask(samples):
    _, items = samples
    hidden = [(s.occluder_mask & s.hand_mask).sum() / s.hand_mask.sum() for s in items]
    assert max(hidden) <= 0.4
    assert sum(h > 0.02 for h in hidden) >= 4        # occluders really overlap hands
    for s in items:
        np.testing.assert_array_equal(s.mask, s.hand_mask & ~s.occluder_mask)


def test_versions_keep_geometry_and_change_appearance(samples):
    generator, items = samples
    other = generator.sample(3, version=2)
    np.testing.assert_array_equal(other.vertices, items[3].vertices)
    np.testing.assert_array_equal(other.mask, items[3].mask)
    assert not np.array_equal(other.image, items[3].image)


def test_mano_vector_holds_our_pose_and_shape(samples):
    generator, items = samples
    s = items[5]
    with torch.no_grad():
        out = generator.hand_model(pose=torch.from_numpy(s.mano[None, :48]),
                                   betas=torch.from_numpy(s.mano[None, 48:58]))
    # Same hand up to the translation the generator chose.
    offset = s.vertices - out.vertices[0].numpy()
    np.testing.assert_allclose(offset, offset.mean(0, keepdims=True).repeat(778, 0), atol=1e-5)

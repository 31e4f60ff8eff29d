"""HandModel / OpenHandModel: LBS invariants, skeleton, mirroring, blend shapes, gradients."""
from collections import Counter

import numpy as np
import pytest
import torch

from diffhand_mm.hand import MANO16_TO_OPENPOSE21, HandModel, OpenHandModel, mirror_pose
from diffhand_mm.hand.joint_orders import FINGER_CHAINS
from diffhand_mm.hand.open_hand_builder import skeleton_joints
from diffhand_mm.registry import MODELS

torch.set_num_threads(1)


@pytest.fixture(scope='module')
def right():
    return OpenHandModel()


@pytest.fixture(scope='module')
def left():
    return OpenHandModel(side='left')


def descendants(parents, joint):
    out = {joint}
    for j, p in enumerate(parents):
        if p in out:
            out.add(j)
    return out


def test_rest_pose_returns_template_and_joints(right):
    out = right()
    assert right.num_vertices == 778 and right.num_betas == 10
    torch.testing.assert_close(out.vertices[0], right.v_template)
    skeleton = right.joint_regressor @ right.v_template
    torch.testing.assert_close(out.skeleton[0], skeleton)
    tips = right.v_template[right.fingertip_ids]
    expected21 = torch.cat([skeleton, tips])[MANO16_TO_OPENPOSE21]
    torch.testing.assert_close(out.joints[0], expected21)
    # OpenPose order: 4 = thumb tip, 8 = index tip, 20 = pinky tip.
    torch.testing.assert_close(out.joints[0, 4], tips[0])
    torch.testing.assert_close(out.joints[0, 20], tips[4])
    torch.testing.assert_close(right.joints_from_vertices(out.vertices), out.joints)


def test_regressed_joints_within_2mm_of_skeleton(right):
    regressor = right.joint_regressor
    torch.testing.assert_close(regressor.sum(1), torch.ones(16), atol=1e-5, rtol=0)
    assert (regressor >= 0).all()
    regressed = (regressor.double() @ right.v_template.double()).numpy()
    assert np.linalg.norm(regressed - skeleton_joints(), axis=1).max() < 0.002


def test_template_proportions(right):
    v = right.v_template.numpy()
    joints = skeleton_joints()
    assert 0.16 < v[:, 1].max() < 0.20  # wrist to middle fingertip
    not_thumb = right.skinning_weights[:, 13:].sum(1).numpy() == 0
    palm_width = v[(np.abs(v[:, 1] - 0.075) < 0.006) & not_thumb, 0]
    assert 0.07 < palm_width.max() - palm_width.min() < 0.09
    assert 0.080 < joints[4, 1] < 0.090  # wrist to middle MCP
    tips = v[right.fingertip_ids.numpy()]
    assert tips[2, 1] == pytest.approx(v[:, 1].max())  # middle tip is the most distal point
    assert tips[0, 2] > 0  # the thumb sits on the palm side (+z)


# The thumb's CMC joint also drags the thenar pad of the palm, hence its larger reach.
@pytest.mark.parametrize('joint,reach', [(1, 0.025), (2, 0.025), (6, 0.025), (11, 0.025),
                                         (13, 0.04)])
def test_rotating_a_joint_moves_only_its_descendants(right, joint, reach):
    pose = torch.zeros(1, 16, 3)
    pose[0, joint, 0] = 0.8
    moved = (right(pose=pose).vertices[0] - right.v_template).norm(dim=1) > 1e-7
    subtree = sorted(descendants(right.parent_list, joint))
    weight_on_subtree = right.skinning_weights[:, subtree].sum(1)
    assert not moved[weight_on_subtree < 1e-6].any()
    assert moved[weight_on_subtree > 0.5].all()
    # Locality: everything that moves lies within `reach` of this digit's bones
    # (the polyline parent joint -> joint -> ... -> fingertip).
    digit = [d for d, chain in enumerate(FINGER_CHAINS.values()) if joint in chain][0]
    chain = list(FINGER_CHAINS.values())[digit]
    skeleton = right.joint_regressor @ right.v_template
    nodes = [skeleton[right.parent_list[joint]]] + [skeleton[j] for j in chain if j >= joint] \
        + [right.v_template[right.fingertip_ids[digit]]]
    t = torch.linspace(0, 1, 50)[:, None]
    bones = torch.cat([a + t * (b - a) for a, b in zip(nodes, nodes[1:])])
    dist = torch.cdist(right.v_template[moved], bones).min(1).values
    assert dist.max() < reach


def test_skinning_weights_are_convex(right):
    w = right.skinning_weights
    assert (w >= 0).all()
    torch.testing.assert_close(w.sum(1), torch.ones(778), atol=1e-5, rtol=0)
    # Compact support: at most 4 bones (a web vertex: wrist, two knuckles, thenar) per vertex,
    # and most vertices follow a single bone.
    assert ((w > 0).sum(1) <= 4).all()
    assert ((w > 0).sum(1) == 1).float().mean() > 0.5


def test_mesh_consistently_wound_and_open_only_at_wrist(right):
    faces = right.faces.numpy()
    directed = Counter((a, b) for f in faces for a, b in zip(f, np.roll(f, -1)))
    assert max(directed.values()) == 1  # no edge used twice in the same direction
    boundary = [e for e in directed if (e[1], e[0]) not in directed]
    boundary_vertices = {v for e in boundary for v in e}
    v = right.v_template.numpy()
    assert len(boundary_vertices) == len(boundary)  # a single loop
    assert v[sorted(boundary_vertices), 1].max() < -0.005  # the loop is at the wrist
    # Outward normals: positive enclosed volume (wrist hole closed by a fan).
    centre = v.mean(0)
    a, b, c = (v[faces[:, k]] - centre for k in range(3))
    assert np.einsum('ij,ij->i', a, np.cross(b, c)).sum() > 0


def test_left_is_mirror_of_right(right, left):
    torch.manual_seed(0)
    pose, betas = 0.3 * torch.randn(2, 16, 3), torch.randn(2, 10)
    transl = torch.tensor([[0.01, 0.02, 0.5], [-0.03, 0.0, 0.4]])
    out_r = right(pose=pose, betas=betas, transl=transl)
    mirror = torch.tensor([-1.0, 1.0, 1.0])
    out_l = left(pose=mirror_pose(pose), betas=betas, transl=transl * mirror)
    torch.testing.assert_close(out_l.vertices, out_r.vertices * mirror, atol=1e-6, rtol=0)
    torch.testing.assert_close(out_l.joints, out_r.joints * mirror, atol=1e-6, rtol=0)
    torch.testing.assert_close(left.faces, right.faces[:, [0, 2, 1]])


def test_shape_blend_shapes_change_size_as_named(right):
    names = right.shape_names
    rest = right()

    def with_beta(name, value=1.0):
        betas = torch.zeros(1, 10)
        betas[0, names.index(name)] = value
        return right(betas=betas)

    big = with_beta('size')
    torch.testing.assert_close(big.vertices[0], 1.05 * right.v_template, atol=1e-6, rtol=0)
    length = lambda out: (out.joints[0, 12] - out.joints[0, 9]).norm()  # middle MCP -> tip
    assert length(with_beta('finger_length')) == pytest.approx(1.06 * length(rest), rel=0.01)
    assert length(with_beta('finger_length', -1.0)) < length(rest)
    width = lambda out: (out.joints[0, 5] - out.joints[0, 17]).norm()  # index MCP - pinky MCP
    assert width(with_beta('palm_width')) == pytest.approx(1.06 * width(rest), rel=0.01)
    thick = lambda out: np.ptp(out.vertices[0, :, 2].numpy())
    assert thick(with_beta('thickness')) > thick(rest)
    # Blend shapes are nearly orthogonal, apart from overall size.
    dirs = right.shapedirs.reshape(-1, 10)
    dirs = dirs / dirs.norm(dim=0)
    cosine = (dirs.T @ dirs)[1:, 1:] - torch.eye(9)
    assert cosine.abs().max() < 0.9


def test_gradients_flow_to_pose_betas_and_pca(right):
    pose = (0.1 * torch.randn(2, 48)).requires_grad_()
    betas = torch.zeros(2, 10, requires_grad=True)
    transl = torch.zeros(2, 3, requires_grad=True)
    out = right(pose=pose, betas=betas, transl=transl)
    (out.vertices.square().sum() + out.joints.sum()).backward()
    for tensor in (pose, betas, transl):
        assert tensor.grad is not None and tensor.grad.abs().sum() > 0
    assert pose.grad[:, 3:].abs().sum() > 0  # finger joints, not only the root
    pca = torch.zeros(1, 45, requires_grad=True)
    right(pca_pose=pca).vertices.sum().backward()
    assert pca.grad.abs().sum() > 0


def test_pca_pose_and_flat_hand_mean(right):
    coeffs = torch.randn(1, 45)
    expected = torch.cat([torch.zeros(1, 3), coeffs @ right.pca_components], 1)
    torch.testing.assert_close(right(pca_pose=coeffs).vertices, right(pose=expected).vertices)
    relaxed = OpenHandModel(flat_hand_mean=False)
    mean_pose = torch.cat([torch.zeros(3), right.pca_mean])[None]
    torch.testing.assert_close(relaxed().vertices, right(pose=mean_pose).vertices)
    with pytest.raises(ValueError, match='pca_pose must be'):
        OpenHandModel(num_pca_comps=6)(pca_pose=coeffs)


def test_global_orientation_and_translation(right):
    pose = torch.zeros(1, 16, 3)
    pose[0, 0, 2] = np.pi / 2  # 90 deg about +z: fingers (+y) now point along -x
    out = right(pose=pose, transl=torch.tensor([[0.0, 0.0, 0.5]]))
    tip = out.joints[0, 12]
    rest_tip = right().joints[0, 12]
    torch.testing.assert_close(tip, torch.stack([-rest_tip[1], rest_tip[0], rest_tip[2] + 0.5]),
                               atol=1e-6, rtol=0)


def test_registered_and_bad_input():
    assert MODELS.get('OpenHandModel') is OpenHandModel
    assert MODELS.get('HandModel') is HandModel
    assert MODELS.get('MANOHandModel') is not None
    model = MODELS.build(dict(type='OpenHandModel', side='left'))
    assert model.side == 'left'
    with pytest.raises(ValueError, match='pose must be'):
        model(pose=torch.zeros(1, 45))
    with pytest.raises(ValueError, match="side must be"):
        OpenHandModel(side='both')


def test_pose_blend_shapes_apply_when_present():
    from diffhand_mm.hand.open_hand import load_open_hand_arrays
    arrays = load_open_hand_arrays()
    arrays.pop('shape_names')
    arrays.pop('side', None)
    plain = HandModel(**arrays)
    assert not plain.has_pose_blend_shapes  # our open hand has none: the product is skipped

    posedirs = np.zeros_like(arrays['posedirs'])
    posedirs[:, 1, :] = 0.001  # every pose feature lifts every vertex along y
    blended = HandModel(**dict(arrays, posedirs=posedirs))
    assert blended.has_pose_blend_shapes
    pose = torch.zeros(1, 16, 3)
    pose[0, 2, 0] = 0.5
    # At rest the pose features are zero, so the blend shapes add nothing...
    torch.testing.assert_close(blended().vertices, plain().vertices)
    # ...and once posed they move the mesh.
    assert (blended(pose=pose).vertices - plain(pose=pose).vertices).abs().max() > 1e-4

"""Geometry of the z-buffer rasterizer: coverage, depth, occlusion, culling."""
import numpy as np
import pytest
import scipy.ndimage
import torch

from diffhand_mm.render import make_icosphere, rasterize, render_mesh

F = 100.0
K = np.array([[F, 0.0, 0.0], [0.0, F, 0.0], [0.0, 0.0, 1.0]])


def square(u0, u1, v0, v1, z):
    """A camera-facing square whose projection spans pixels [u0,u1] x [v0,v1] at depth z."""
    corners = [(u0, v0), (u1, v0), (u1, v1), (u0, v1)]
    verts = np.array([[u * z / F, v * z / F, z] for u, v in corners])
    return verts, np.array([[0, 1, 2], [0, 2, 3]])


def test_square_mask_area_and_depth_are_exact():
    # Edges at half-pixel positions: columns 10..29 and rows 5..14 are covered, 200 pixels.
    verts, faces = square(9.5, 29.5, 4.5, 14.5, z=2.0)
    out = render_mesh(verts, faces, K, (40, 40))
    mask = out.mask[0].numpy()
    rows, cols = np.nonzero(mask)
    assert mask.sum() == 200
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (5, 14, 10, 29)
    np.testing.assert_allclose(out.depth[0].numpy()[mask], 2.0, rtol=1e-6)
    assert (out.depth[0].numpy()[~mask] == 0).all()
    assert set(out.face_ids[0].numpy()[mask].tolist()) == {0, 1}
    assert (out.face_ids[0].numpy()[~mask] == -1).all()


def test_depth_is_perspective_correct_on_a_tilted_plane():
    # Plane z = 1 + 0.5 x through the square's corners; along the ray of pixel u the exact
    # depth is z = 1 / (1 - 0.5 u / f). Screen-linear interpolation of z would be off by mm.
    u0, u1 = 2.5, 60.5
    verts = []
    for u, v in [(u0, 2.5), (u1, 2.5), (u1, 30.5), (u0, 30.5)]:
        z = 1.0 / (1.0 - 0.5 * u / F)
        verts.append([u * z / F, v * z / F, z])
    out = render_mesh(np.array(verts), [[0, 1, 2], [0, 2, 3]], K, (40, 64))
    mask = out.mask[0].numpy()
    cols = np.nonzero(mask)[1]
    expected = 1.0 / (1.0 - 0.5 * cols / F)
    np.testing.assert_allclose(out.depth[0].numpy()[mask], expected, rtol=1e-6)


@pytest.mark.parametrize('near_first', [True, False])
def test_nearer_triangle_wins(near_first):
    near_tri = np.array([[0.0, 0.0, 1.0], [0.3, 0.0, 1.0], [0.0, 0.3, 1.0]])
    far_tri = np.array([[0.0, 0.0, 2.0], [0.6, 0.0, 2.0], [0.0, 0.6, 2.0]])  # same footprint
    far_tri[:, :2] += 0.1  # shifted by 5 pixels so that both are partly visible
    verts = np.concatenate([near_tri, far_tri] if near_first else [far_tri, near_tri])
    faces = np.array([[0, 1, 2], [3, 4, 5]])
    near_id = 0 if near_first else 1
    colors = np.zeros((6, 3))
    colors[3 * near_id:3 * near_id + 3] = (1.0, 0.0, 0.0)
    colors[3 * (1 - near_id):3 * (1 - near_id) + 3] = (0.0, 1.0, 0.0)
    out = render_mesh(verts, faces, K, (40, 40), vertex_colors=colors)
    face_ids, depth, rgb = out.face_ids[0].numpy(), out.depth[0].numpy(), out.rgb[0].numpy()
    # Pixel (row 8, col 8) lies inside both triangles: the near one (z = 1) must win.
    assert face_ids[8, 8] == near_id
    assert depth[8, 8] == pytest.approx(1.0, rel=1e-6)
    assert rgb[8, 8, 0] > 0 and rgb[8, 8, 1] == 0
    # Pixel (row 20, col 20) is only covered by the far triangle.
    assert face_ids[20, 20] == 1 - near_id
    assert depth[20, 20] == pytest.approx(2.0, rel=1e-6)


def test_translation_shifts_mask_by_expected_pixels():
    verts, faces = square(9.5, 19.5, 9.5, 19.5, z=2.0)
    base = render_mesh(verts, faces, K, (40, 40)).mask[0].numpy()
    # Moving the mesh by (0.1, -0.06) m at z = 2 m moves its image by f * t / z = (5, -3) px,
    # which is what moving the camera by the opposite amount does.
    moved = render_mesh(verts + np.array([0.1, -0.06, 0.0]), faces, K, (40, 40)).mask[0].numpy()
    assert base.sum() == 100
    np.testing.assert_array_equal(moved, np.roll(np.roll(base, 5, axis=1), -3, axis=0))


def test_faces_behind_or_crossing_the_camera_plane_are_culled():
    behind = np.array([[0.0, 0.0, -1.0], [0.3, 0.0, -1.0], [0.0, 0.3, -1.0]])
    crossing = np.array([[0.0, 0.0, -0.5], [0.3, 0.0, 1.0], [0.0, 0.3, 1.0]])
    K_centre = K.copy()
    K_centre[:2, 2] = 20.0
    for tri in (behind, crossing):
        out = render_mesh(tri, [[0, 1, 2]], K_centre, (40, 40))
        assert not out.mask.any()


def test_sphere_is_watertight_and_batch_matches_single_renders():
    verts, faces = make_icosphere(3, radius=0.05, center=(0.0, 0.0, 0.5))
    K_centre = np.array([[500.0, 0, 64], [0, 500.0, 64], [0, 0, 1]])
    second = verts + np.array([0.01, 0.0, 0.1], dtype=np.float32)
    batch = rasterize(torch.tensor(np.stack([verts, second])), torch.tensor(faces),
                      torch.tensor(np.stack([K_centre, K_centre])), (128, 128))
    mask = batch.face_ids[0].numpy() >= 0
    # No pixel cracks between neighbouring faces: the silhouette has no holes.
    assert (scipy.ndimage.binary_fill_holes(mask) == mask).all()
    # Silhouette radius of a sphere: f r / sqrt(d^2 - r^2) = 50.25 px; the polygon is inside.
    assert 0.97 * np.pi * 50.25**2 < mask.sum() < np.pi * 50.25**2
    assert batch.depth[0, 64, 64] == pytest.approx(0.45, abs=1e-3)
    single = rasterize(torch.tensor(second[None]), torch.tensor(faces),
                       torch.tensor(K_centre[None]), (128, 128))
    assert torch.equal(single.face_ids[0], batch.face_ids[1])
    assert torch.equal(single.depth[0], batch.depth[1])
    # Barycentrics are a partition of unity on covered pixels.
    bary = batch.bary[0].numpy()[mask]
    np.testing.assert_allclose(bary.sum(-1), 1.0, atol=1e-5)
    assert (bary >= 0).all()


def test_backface_culling_keeps_the_image_of_closed_meshes():
    verts, faces = make_icosphere(2, radius=0.05, center=(0.01, -0.02, 0.4))
    K_centre = np.array([[300.0, 0, 32], [0, 300.0, 32], [0, 0, 1]])
    both = render_mesh(verts, faces, K_centre, (64, 64))
    front = render_mesh(verts, faces, K_centre, (64, 64), cull_backfaces=True)
    assert torch.equal(both.face_ids, front.face_ids)
    assert torch.equal(both.depth, front.depth)
    # Culling is not free for an open mesh: seen from behind, a lone face disappears.
    # On screen (y down) corners (0,0), (10,0), (0,10) px run clockwise: the face's
    # right-handed normal points away from the camera, i.e. we see its back.
    tri = np.array([[0.0, 0.0, 1.0], [0.1, 0.0, 1.0], [0.0, 0.1, 1.0]])
    back, facing = [[0, 1, 2]], [[0, 2, 1]]
    assert render_mesh(tri, back, K_centre, (64, 64)).mask.any()
    assert not render_mesh(tri, back, K_centre, (64, 64), cull_backfaces=True).mask.any()
    assert render_mesh(tri, facing, K_centre, (64, 64), cull_backfaces=True).mask.any()


def test_faces_larger_than_the_window_ladder_are_covered_exactly():
    # 300 x 300 pixels: wider than the largest window side (256), small memory chunks.
    verts, faces = square(9.5, 309.5, 4.5, 304.5, z=3.0)
    out = rasterize(torch.tensor(verts[None]), torch.tensor(faces), torch.tensor(K[None]),
                    (320, 320), max_candidates=1000)
    mask = out.face_ids[0].numpy() >= 0
    rows, cols = np.nonzero(mask)
    assert mask.sum() == 300 * 300
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (5, 304, 10, 309)

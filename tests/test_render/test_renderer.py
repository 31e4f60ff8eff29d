"""Shading, side views and overlays."""
import math

import numpy as np
import pytest

from diffhand_mm.render import (DirectionalLight, cap_holes, make_box, make_icosphere, overlay_mesh,
                                render_mesh, render_side_view, vertex_normals)

K = np.array([[100.0, 0, 20], [0, 100.0, 20], [0, 0, 1]])


def facing_square(z=1.0, half=0.1):
    verts = np.array([[-half, -half, z], [half, -half, z], [half, half, z], [-half, half, z]])
    return verts, np.array([[0, 1, 2], [0, 2, 3]])


def test_lambert_plus_ambient_matches_hand_computed_value():
    verts, faces = facing_square()
    albedo = np.array([0.8, 0.5, 0.2])
    # Light travelling at 60 degrees to the square's normal: n . -l = cos 60 = 0.5.
    light = DirectionalLight(direction=(math.sin(math.pi / 3), 0.0, math.cos(math.pi / 3)),
                             ambient=0.3, diffuse=0.6)
    out = render_mesh(verts, faces, K, (40, 40), vertex_colors=np.tile(albedo, (4, 1)),
                      light=light)
    expected = albedo * (0.3 + 0.6 * 0.5)
    np.testing.assert_allclose(out.rgb[0, 20, 20].numpy(), expected, atol=1e-6)
    # Light from behind the surface: ambient only. Winding does not matter (two-sided).
    back = DirectionalLight(direction=(0.0, 0.0, -1.0), ambient=0.3, diffuse=0.6)
    flipped = render_mesh(verts, faces[:, ::-1], K, (40, 40),
                          vertex_colors=np.tile(albedo, (4, 1)), light=back)
    np.testing.assert_allclose(flipped.rgb[0, 20, 20].numpy(), albedo * 0.3, atol=1e-6)


def test_vertex_normals_of_closed_meshes_point_outwards():
    for verts, faces in (make_box(), make_icosphere(1)):
        normals = vertex_normals(verts[None], faces)[0]
        assert (np.einsum('vi,vi->v', normals, verts - verts.mean(0)) > 0).all()
        np.testing.assert_allclose(np.linalg.norm(normals, axis=-1), 1.0, atol=1e-6)


def test_side_view_shows_the_depth_extent():
    # A thin slab long along z: narrow from the front, long once turned by 90 degrees.
    verts, faces = make_box(center=(0.0, 0.0, 1.0), size=(0.02, 0.02, 0.2))
    front = render_mesh(verts, faces, K, (40, 40)).mask[0].numpy()
    side = render_side_view(verts, faces, K, (40, 40)).mask[0].numpy()
    front_width = np.ptp(np.nonzero(front)[1]) + 1
    side_width = np.ptp(np.nonzero(side)[1]) + 1
    assert front_width <= 3
    assert side_width == pytest.approx(100.0 * 0.2 / 1.0, abs=3)   # f * length / depth


def test_overlay_keeps_background_and_blends_the_mesh():
    rng = np.random.default_rng(0)
    image = rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)
    verts, faces = facing_square(half=0.05)
    out = render_mesh(verts, faces, K, (40, 40), vertex_colors=np.tile([1.0, 0.0, 0.0], (4, 1)),
                      light=DirectionalLight(ambient=1.0, diffuse=0.0))
    blended = overlay_mesh(image, out, alpha=0.25)
    mask = out.mask[0].numpy()
    assert mask.sum() > 0
    np.testing.assert_array_equal(blended[~mask], image[~mask])
    # Pure red in RGB is (0, 0, 255) in BGR.
    expected = np.rint(0.25 * np.array([0.0, 0.0, 255.0]) + 0.75 * image[mask].astype(float))
    np.testing.assert_array_equal(blended[mask], expected.astype(np.uint8))
    with pytest.raises(ValueError, match='uint8'):
        overlay_mesh(image.astype(np.float32), out)


def test_bad_inputs_raise_clear_errors():
    verts, faces = facing_square()
    with pytest.raises(ValueError, match='face indices'):
        render_mesh(verts, [[0, 1, 7]], K, (40, 40))
    with pytest.raises(ValueError, match='K must be'):
        render_mesh(verts, faces, np.eye(4), (40, 40))
    with pytest.raises(ValueError, match='vertex_colors'):
        render_mesh(verts, faces, K, (40, 40), vertex_colors=np.ones((3, 3)))


def test_cap_holes_closes_an_open_box_consistently():
    verts, faces = make_box()
    open_faces = faces[2:]                      # remove one side: a 4-vertex hole
    caps, loops = cap_holes(open_faces, len(verts))
    assert [sorted(loop.tolist()) for loop in loops] == [[0, 1, 2, 3]]
    closed = np.concatenate([open_faces, caps])
    directed = {tuple(e) for f in closed for e in (f[[0, 1]], f[[1, 2]], f[[2, 0]])}
    assert len(directed) == 3 * len(closed)                   # no directed edge twice
    assert all((b, a) in directed for a, b in directed)       # every edge shared, opposite

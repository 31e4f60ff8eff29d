"""MeshWriter and the drawing helpers: files, geometry of the overlay, heat map, video."""
import json

import cv2
import numpy as np
import pytest

from diffhand_mm.apis import (HandPrediction, MeshWriter, render_hands, uncertainty_colors,
                              write_obj)
from diffhand_mm.apis.writer import SCALE_PERCENTILES, oriented_faces, uncertainty_scale
from diffhand_mm.hand import OpenHandModel
from diffhand_mm.render import overlay_mesh, render_mesh

K = np.array([[150.0, 0.0, 47.5], [0.0, 150.0, 39.5], [0.0, 0.0, 1.0]], np.float32)


@pytest.fixture(scope='module')
def open_hand():
    hand = OpenHandModel()
    return hand.v_template.numpy().astype(np.float32), hand.faces.numpy()


def _prediction(vertices, side='right', uncertainty=None):
    pixels = vertices @ K.T
    return HandPrediction(frame='img', source='img.png', frame_index=0, hand_index=0,
                          hand_side=side, box=np.array([1.0, 2.0, 3.0, 4.0], np.float32),
                          crop_box=np.zeros(4, np.float32), K=K, vertices=vertices,
                          joints=vertices[:21], joints_2d=pixels[:21, :2] / pixels[:21, 2:],
                          vertex_uncertainty=uncertainty)


def _signed_volume(vertices, faces):
    a, b, c = (vertices[faces[:, i]].astype(np.float64) for i in range(3))
    return np.einsum('ij,ij->i', a, np.cross(b, c)).sum() / 6


def test_overlay_mask_lies_where_K_projects_the_vertices(open_hand):
    template, faces = open_hand
    vertices = template - template.mean(0) + [0.0, 0.0, 0.5]
    image = np.zeros((80, 96, 3), np.uint8)
    overlay, mask = render_hands(image, [_prediction(vertices)], faces)
    changed = overlay.any(-1)
    np.testing.assert_array_equal(changed, mask)
    # the window render is pixel for pixel the full-image render
    full = render_mesh(vertices[None], faces, K[None], image.shape[:2])
    np.testing.assert_array_equal(mask, full.mask[0].numpy())
    np.testing.assert_array_equal(overlay, overlay_mesh(image, full))
    pixels = vertices @ K.T
    pixels = pixels[:, :2] / pixels[:, 2:]
    ys, xs = np.nonzero(changed)
    # nothing is drawn outside the projected vertices' extent (pixel centres at integers),
    # and the drawing reaches it up to the thin finger tips that cover no pixel centre
    assert (xs.min(), ys.min()) >= tuple(pixels.min(0) - 0.5)
    assert xs.max() <= pixels[:, 0].max() + 0.5 and ys.max() <= pixels[:, 1].max() + 0.5
    np.testing.assert_allclose([xs.min(), ys.min()], pixels.min(0), atol=1.5)
    np.testing.assert_allclose([xs.max(), ys.max()], pixels.max(0), atol=1.5)
    # every vertex projects onto the drawn hand or next to it (thin parts cover few centres)
    near = cv2.dilate(changed.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
    assert near[np.round(pixels[:, 1]).astype(int), np.round(pixels[:, 0]).astype(int)].all()


def test_left_meshes_are_written_with_outward_winding(open_hand, tmp_path):
    template, faces = open_hand
    right_volume = _signed_volume(template, faces)
    mirrored = template * [-1, 1, 1]
    assert np.sign(_signed_volume(mirrored, faces)) == -np.sign(right_volume)
    left_faces = oriented_faces(faces, 'left')
    assert np.sign(_signed_volume(mirrored, left_faces)) == np.sign(right_volume)
    path = str(tmp_path / 'left.obj')
    write_obj(path, mirrored, left_faces)
    lines = open(path).read().splitlines()
    read_vertices = np.array([[float(x) for x in ln.split()[1:]] for ln in lines
                              if ln.startswith('v ')])
    read_faces = np.array([[int(x) - 1 for x in ln.split()[1:]] for ln in lines
                           if ln.startswith('f ')])
    np.testing.assert_allclose(read_vertices, mirrored, atol=1e-6)
    np.testing.assert_array_equal(read_faces, left_faces)


def test_uncertainty_heat_map_runs_from_blue_to_red(open_hand):
    colors = uncertainty_colors(np.array([0.0, 0.01, 0.02, 0.5]), scale=(0.0, 0.02))
    assert colors[0, 2] > 0.4 and colors[0, 0] == 0  # blue
    assert colors[2, 0] > 0.4 and colors[2, 2] == 0  # red
    np.testing.assert_array_equal(colors[2], colors[3])  # clipped at the range
    template, faces = open_hand
    vertices = template - template.mean(0) + [0.0, 0.0, 0.5]
    image = np.zeros((80, 96, 3), np.uint8)
    calm, mask = render_hands(image, [_prediction(vertices, uncertainty=np.zeros(778))],
                              faces, uncertainty_range=0.02)
    wild, _ = render_hands(image, [_prediction(vertices, uncertainty=np.ones(778))], faces,
                           uncertainty_range=0.02)
    mask[:14] = False  # the legend
    calm_bgr, wild_bgr = calm[mask].mean(0), wild[mask].mean(0)
    assert calm_bgr[0] > 2 * calm_bgr[2] and wild_bgr[2] > 2 * wild_bgr[0]


def test_the_default_scale_follows_the_data_and_is_stated(open_hand):
    """Uncertainties far above any fixed range still show where the model is less sure."""
    values = np.linspace(0.030, 0.060, 101)
    np.testing.assert_allclose(uncertainty_scale([values[:50], values[50:]]),
                               np.percentile(values, SCALE_PERCENTILES))
    assert uncertainty_scale([np.full(5, 0.04)]) == pytest.approx((0.0395, 0.0405))
    assert uncertainty_scale([values], 0.02) == (0.0, 0.02)
    with pytest.raises(ValueError, match='high > low'):
        uncertainty_scale([values], (0.02, 0.01))
    template, faces = open_hand
    vertices = template - template.mean(0) + [0.0, 0.0, 1.0]  # far: clear of the legend
    # 30-60 mm, growing from the left of the hand to its right
    x = vertices[:, 0]
    uncertainty = 0.03 + 0.03 * (x - x.min()) / (x.max() - x.min())
    image = np.zeros((80, 96, 3), np.uint8)
    overlay, mask = render_hands(image, [_prediction(vertices, uncertainty=uncertainty)], faces)
    assert not mask[:14].any()
    columns = np.flatnonzero(mask.any(0))
    left = overlay[:, columns[:5]][mask[:, columns[:5]]].mean(0)
    right = overlay[:, columns[-5:]][mask[:, columns[-5:]]].mean(0)
    assert left[0] > 2 * left[2] and right[2] > 2 * right[0]  # blue left, red right (BGR)
    # the legend: a colour bar from blue to red, and its numbers in millimetres
    assert overlay[7, 5, 0] > 100 and overlay[7, 42, 2] > 100
    assert not np.array_equal(overlay[:14, 48:], image[:14, 48:])
    plain, _ = render_hands(image, [_prediction(vertices)], faces)
    np.testing.assert_array_equal(plain[:14, :44], image[:14, :44])  # no legend without


def test_writer_files_for_pictures_and_videos(make_inferencer, tmp_path):
    picture = tmp_path / 'pic.png'
    cv2.imwrite(str(picture), np.full((48, 64, 3), 100, np.uint8))
    video = str(tmp_path / 'clip.avi')
    capture = cv2.VideoWriter(video, cv2.VideoWriter_fourcc(*'MJPG'), 7, (64, 48))
    for _ in range(3):
        capture.write(np.full((48, 64, 3), 100, np.uint8))
    capture.release()
    inferencer = make_inferencer(num_hypotheses=2)
    writer = MeshWriter(str(tmp_path / 'out'), inferencer.faces, mesh_format='ply')
    results = inferencer([str(picture), video], bboxes=[5, 5, 40, 40], hand='left',
                         writer=writer)
    out = tmp_path / 'out'
    for name in ('pic_hand0.ply', 'pic_hand0.json', 'pic_overlay.jpg', 'pic_side.jpg',
                 'clip/clip_000002_hand0.json', 'clip/clip_000002_hand0.ply'):
        assert (out / name).is_file(), name
    saved = json.loads((out / 'pic_hand0.json').read_text())
    hand = results[0].hands[0]
    np.testing.assert_allclose(saved['vertices'], hand.vertices, atol=1e-6)
    np.testing.assert_allclose(saved['joints_2d'], hand.joints_2d, atol=1e-4)
    assert saved['box'] == [5, 5, 40, 40] and saved['hand_side'] == 'left'
    np.testing.assert_allclose(saved['K'], hand.K)
    assert len(saved['vertex_uncertainty']) == 778
    ply = (out / 'pic_hand0.ply').read_text().splitlines()
    assert 'element vertex 778' in ply and ply[ply.index('end_header') + 1].count(' ') == 2
    overlay_video = cv2.VideoCapture(str(out / 'clip_overlay.mp4'))
    assert overlay_video.get(cv2.CAP_PROP_FRAME_COUNT) == 3
    assert overlay_video.get(cv2.CAP_PROP_FPS) == 7
    assert (overlay_video.get(cv2.CAP_PROP_FRAME_WIDTH),
            overlay_video.get(cv2.CAP_PROP_FRAME_HEIGHT)) == (64, 48)

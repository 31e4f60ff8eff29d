"""MeshInferencer: inputs, crops, intrinsics, left hands, batching, errors."""
import math
import os
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from diffhand_mm.apis import build_test_pipeline, default_intrinsics
from diffhand_mm.models.heads import perspective_project


def _image(height=80, width=100, seed=0):
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def test_default_intrinsics_use_the_diagonal_and_the_centre():
    K = default_intrinsics(80, 100)
    assert math.isclose(K[0, 0], math.hypot(100, 80), rel_tol=1e-6) and K[1, 1] == K[0, 0]
    assert (K[0, 2], K[1, 2]) == (49.5, 39.5)


def test_whole_image_crop_and_outputs_in_the_original_camera(make_inferencer):
    inferencer = make_inferencer(num_hypotheses=2)
    hand = inferencer(_image())[0].hands[0]
    assert hand.box is None
    # the longer side (100 px) fills the crop, centred: pixel edges [-0.5, 99.5]
    np.testing.assert_allclose(hand.crop_box, [-0.5, -10.5, 99.5, 89.5], atol=1e-4)
    np.testing.assert_allclose(hand.K, default_intrinsics(80, 100))
    # joints_2d are the projection of the 3D joints with the original image's K
    projected = perspective_project(torch.from_numpy(hand.joints[None]),
                                    torch.from_numpy(hand.K[None]))[0].numpy()
    np.testing.assert_allclose(hand.joints_2d, projected, atol=1e-3)
    assert hand.vertices.shape == (778, 3) and hand.joints.shape == (21, 3)
    assert hand.vertex_uncertainty.shape == (778,) and (hand.vertex_uncertainty >= 0).all()
    # an untrained camera centres the hand's joint box in the crop, the image centre here (to
    # within the difference between weak and full perspective)
    box_centre = (hand.joints_2d.min(0) + hand.joints_2d.max(0)) / 2
    np.testing.assert_allclose(box_centre, [49.5, 39.5], atol=1.0)


def test_left_hand_is_the_mirror_of_the_right_hand_on_the_mirrored_image(make_inferencer):
    inferencer = make_inferencer()
    image, box = _image(), np.array([20.0, 10.0, 70.0, 75.0])
    K = np.array([[120.0, 0, 40.0], [0, 120.0, 45.0], [0, 0, 1]])
    width = image.shape[1]
    mirrored_K = np.array([[120.0, 0, width - 1 - 40.0], [0, 120.0, 45.0], [0, 0, 1]])
    mirrored_box = np.array([width - 1 - box[2], box[1], width - 1 - box[0], box[3]])
    left = inferencer(image, bboxes=box, K=K, hand='left')[0].hands[0]
    right = inferencer(image[:, ::-1].copy(), bboxes=mirrored_box, K=mirrored_K,
                       hand='right')[0].hands[0]
    # Shapes agree to 1e-5 m; the root depth comes from the ratio of the box size to the
    # joints' extent, which scales float32 rounding of the two crops up to ~1e-4 m.
    np.testing.assert_allclose(left.vertices - left.joints[:1],
                               (right.vertices - right.joints[:1]) * [-1, 1, 1], atol=1e-5)
    np.testing.assert_allclose(left.vertices, right.vertices * [-1, 1, 1], atol=3e-4)
    np.testing.assert_allclose(left.joints_2d[:, 0], width - 1 - right.joints_2d[:, 0],
                               atol=1e-2)
    np.testing.assert_allclose(left.joints_2d[:, 1], right.joints_2d[:, 1], atol=1e-2)


def test_folder_batches_keep_frames_and_hands_apart(make_inferencer, tmp_path):
    for i in range(3):
        cv2.imwrite(str(tmp_path / f'{i}.png'), _image(seed=i))
    (tmp_path / 'notes.txt').write_text('not an image')
    boxes = [[10, 10, 50, 60], [45, 20, 95, 70]]
    one = make_inferencer(batch_size=1)(str(tmp_path), bboxes=boxes)
    batched = make_inferencer(batch_size=4)(str(tmp_path), bboxes=boxes)
    assert [r.frame for r in batched] == ['0', '1', '2']
    assert [h.hand_index for h in batched[2].hands] == [0, 1]
    # Where the hand is comes from the camera head's box (its mesh from diffusion noise,
    # drawn per batch): the 2D joints' box centre follows the box to within the difference
    # between weak and full perspective, so a mix-up of hands or frames (boxes 40 px apart)
    # would show here, batching or not.
    def centre(hand):
        return (hand.joints_2d.min(0) + hand.joints_2d.max(0)) / 2

    for a, b in zip(one, batched):
        for hand_a, hand_b, box in zip(a.hands, b.hands, boxes):
            box_centre = [(box[0] + box[2]) / 2, (box[1] + box[3]) / 2]
            np.testing.assert_allclose(centre(hand_a), box_centre, atol=3.0)
            np.testing.assert_allclose(centre(hand_b), box_centre, atol=3.0)


def test_video_frames_are_read_in_order(make_inferencer, tmp_path):
    path = str(tmp_path / 'clip.avi')
    writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 5, (64, 48))
    for i in range(3):
        writer.write(_image(48, 64, seed=i))
    writer.release()
    results = make_inferencer(batch_size=2)(path)
    assert [(r.frame, r.frame_index, r.video) for r in results] == [
        (f'clip_{i:06d}', i, path) for i in range(3)]


def test_clear_errors_name_the_input(make_inferencer, tmp_path):
    inferencer = make_inferencer()
    broken = tmp_path / 'broken.jpg'
    broken.write_bytes(b'\xff\xd8 definitely not a jpeg')
    with pytest.raises(IOError, match='broken.jpg'):
        inferencer(str(broken))
    with pytest.raises(FileNotFoundError, match='missing.png'):
        inferencer(str(tmp_path / 'missing.png'))
    (tmp_path / 'empty').mkdir()
    with pytest.raises(ValueError, match='empty: the folder holds no image'):
        inferencer(str(tmp_path / 'empty'))
    bad_video = tmp_path / 'bad.mp4'
    bad_video.write_bytes(b'nothing')
    with pytest.raises(IOError, match='bad.mp4'):
        inferencer(str(bad_video))
    with pytest.raises(ValueError, match='uint8'):
        inferencer(np.zeros((8, 8, 3), np.float32))
    with pytest.raises(ValueError, match='x2 > x1'):
        inferencer(_image(), bboxes=[50, 10, 20, 60])
    with pytest.raises(ValueError, match='pinhole'):
        inferencer(_image(), K=np.eye(3) * [0, 1, 1])
    with pytest.raises(ValueError, match="'left' or 'right'"):
        inferencer(_image(), hand='both')


def test_pipeline_from_config_drops_the_loader_and_adds_the_flip():
    from mmengine.config import Config
    cfg = Config(dict(test_dataloader=dict(dataset=dict(pipeline=[
        dict(type='LoadHandImage'), dict(type='HandCrop', input_size=(32, 32), padding=1.5),
        dict(type='PackHandInputs')]))))
    assert [t['type'] for t in build_test_pipeline(cfg)] == [
        'FlipLeftToRight', 'HandCrop', 'PackHandInputs']
    default = build_test_pipeline(Config(dict(model=dict(backbone=dict(img_size=96)))))
    assert default[1] == dict(type='HandCrop', input_size=(96, 96), padding=1.3)
    with pytest.raises(ValueError, match='HandCrop and PackHandInputs'):
        build_test_pipeline(None, [dict(type='PackHandInputs')])


def test_a_model_given_without_config_is_cropped_at_its_encoder_input_size(tiny_model):
    from diffhand_mm.apis import MeshInferencer
    inferencer = MeshInferencer(tiny_model, show_progress=False)
    crop = next(t for t in inferencer.pipeline_cfg if t['type'] == 'HandCrop')
    size = tiny_model.backbone.img_size
    assert size != 224 and crop['input_size'] == (size, size)


def test_tta_keeps_the_unaugmented_box(tiny_model):
    import copy
    from diffhand_mm.apis import MeshInferencer
    from tests.test_apis.conftest import CROP
    # A box head that reads the image (an untrained one predicts the same prior box for every
    # pass, which would hide a box taken from an augmented pass).
    model = copy.deepcopy(tiny_model)
    torch.manual_seed(1)
    torch.nn.init.normal_(model.head.camera_head.box_mlp[-1].weight, std=0.05)
    model.test_cfg = dict(sampling_steps=2, eta=0.0, num_hypotheses=1)
    pipeline = [dict(type='HandCrop', input_size=(CROP, CROP), padding=1.3),
                dict(type='PackHandInputs')]
    image, box = _image(), [15, 10, 75, 70]

    def run(picture, **kwargs):
        inferencer = MeshInferencer(model, pipeline=pipeline, show_progress=False, **kwargs)
        return inferencer(picture, bboxes=box)[0].hands[0]

    def hand_box(hand):  # the 2D joints fill the predicted box, to within weak vs full perspective
        low, high = hand.joints_2d.min(0), hand.joints_2d.max(0)
        return np.concatenate([(low + high) / 2, [(high - low).max() / 2]])

    plain = run(image)
    augmented = run(image, tta=dict(rotations=[0, 20], scales=[1.0, 1.2]))
    np.testing.assert_allclose(hand_box(augmented), hand_box(plain), atol=3.0)
    assert np.abs(augmented.vertices - plain.vertices).max() > 1e-4  # an average of 4 passes
    # the check above can fail: another picture in the same box moves the box by far more
    other = run(cv2.GaussianBlur(image, (0, 0), 3)[::-1].copy())
    assert np.abs(hand_box(other) - hand_box(plain)).max() > 10.0


def _folder_with_bad_files(folder):
    for i in (0, 3):
        cv2.imwrite(str(folder / f'{i}.jpg'), _image(seed=i))
    (folder / '1.jpg').write_bytes(b'')  # 0 bytes
    data = (folder / '0.jpg').read_bytes()
    (folder / '2.jpg').write_bytes(data[:len(data) // 2])  # truncated


def test_folder_with_unreadable_files_skips_them_by_name_or_stops_when_strict(make_inferencer,
                                                                            tmp_path):
    from diffhand_mm.apis import MeshWriter
    _folder_with_bad_files(tmp_path)
    inferencer = make_inferencer()
    out = tmp_path / 'out'
    writer = MeshWriter(str(out), inferencer.faces, save_overlay=False, save_side_view=False)
    results = inferencer(str(tmp_path), writer=writer, strict=False)
    assert [r.frame for r in results] == ['0', '3']  # the images after the bad ones too
    assert [(osp.basename(f.source), f.reason) for f in results.failures] == [
        ('1.jpg', f'Image file is empty (0 bytes): {tmp_path}/1.jpg'),
        ('2.jpg', f'JPEG image is truncated (no end-of-image marker): {tmp_path}/2.jpg')]
    assert sorted(os.listdir(out)) == ['0_hand0.json', '0_hand0.obj', '3_hand0.json',
                                       '3_hand0.obj']
    with pytest.raises(IOError, match=r'Image file is empty \(0 bytes\): .*1.jpg'):
        inferencer(str(tmp_path), strict=True)


@pytest.mark.parametrize('image_size,box,message', [
    ((80, 100), [300, 300, 360, 360], 'box 0 [300, 300, 360, 360] lies outside the 100x80 image'),
    ((80, 100), [50, 50, 50.5, 50.5], 'box 0 [50, 50, 50.5, 50.5] is 0.5 px across; a hand '
                                      'needs at least 16 px'),
    ((1, 1), None, 'the image is 1x1 px, too small to hold a hand (at least 16 px a side)'),
])
def test_boxes_and_images_that_cannot_hold_a_hand(make_inferencer, tmp_path, image_size, box,
                                                  message):
    path = tmp_path / 'hand.png'
    cv2.imwrite(str(path), _image(*image_size))
    inferencer = make_inferencer()
    with pytest.raises(ValueError) as info:
        inferencer(str(path), bboxes=box)
    assert str(info.value) == f'{path}: {message}'
    skipped = inferencer(str(path), bboxes=box, strict=False)
    assert len(skipped) == 0 and skipped.failures[0].reason == f'{path}: {message}'
    # a box partly outside the image is fine (the crop is padded)
    inferencer(_image(), bboxes=[-20, -10, 40, 50])


def test_a_failed_run_writes_nothing_half_and_no_empty_folder(make_inferencer, tmp_path):
    from diffhand_mm.apis import MeshWriter
    (tmp_path / 'bad.jpg').write_bytes(b'')
    inferencer = make_inferencer()
    out = tmp_path / 'out'
    with pytest.raises(IOError):
        inferencer(str(tmp_path / 'bad.jpg'), writer=MeshWriter(str(out), inferencer.faces))
    assert not out.exists()
    # a video stopped midway leaves no overlay video, complete or not
    path = str(tmp_path / 'clip.avi')
    video = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'MJPG'), 5, (64, 48))
    for i in range(2):
        video.write(_image(48, 64, seed=i))
    video.release()
    writer = MeshWriter(str(out), inferencer.faces, save_side_view=False)
    with pytest.raises(IOError):
        inferencer([path, str(tmp_path / 'bad.jpg')], writer=writer)
    assert not any(name.endswith('.mp4') or '.partial-' in name for name in os.listdir(out))

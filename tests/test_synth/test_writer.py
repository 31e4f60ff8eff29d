"""SynthHand files: FreiHAND's layout and meanings, label/image consistency, determinism."""
import filecmp
import json
import os.path as osp

import cv2
import numpy as np
import pytest

from diffhand_mm.synth import write_synthhand

NUM_TRAIN, NUM_TEST, SEED = 6, 3, 11


@pytest.fixture(scope='module')
def written(tmp_path_factory):
    out = str(tmp_path_factory.mktemp('synthhand'))
    generator = write_synthhand(out, NUM_TRAIN, NUM_TEST, seed=SEED, versions=2, progress=False)
    return out, generator


def load(out, split, name):
    with open(osp.join(out, f'{split}_{name}.json')) as f:
        return json.load(f)


@pytest.mark.parametrize('split,num', [('training', NUM_TRAIN), ('evaluation', NUM_TEST)])
def test_json_files_have_freihand_shapes_and_meanings(written, split, num):
    out, _ = written
    K, xyz, verts = (np.array(load(out, split, n)) for n in ('K', 'xyz', 'verts'))
    mano, scale = np.array(load(out, split, 'mano')), np.array(load(out, split, 'scale'))
    assert K.shape == (num, 3, 3) and xyz.shape == (num, 21, 3)
    assert verts.shape == (num, 778, 3) and mano.shape == (num, 1, 61) and scale.shape == (num,)
    np.testing.assert_array_equal(scale, np.linalg.norm(xyz[:, 9] - xyz[:, 10], axis=-1))
    # FreiHAND's mano vector: uv_root = projection of joint 9 and scale = focal / its depth,
    # so that [uv - pp, focal] / scale (FreiHAND's backproject_ortho) recovers joint 9.
    focal = 0.5 * (K[:, 0, 0] + K[:, 1, 1])
    recovered = np.concatenate([mano[:, 0, 58:60] - K[:, :2, 2], focal[:, None]], 1) \
        / mano[:, 0, 60:61]
    np.testing.assert_allclose(recovered, xyz[:, 9], atol=1e-5)
    # Hands in metres in front of the camera, joints inside the mesh's extent.
    assert (xyz[..., 2] > 0.1).all() and (verts[..., 2] > 0.1).all()
    assert ((0.03 < scale) & (scale < 0.07)).all()


@pytest.mark.parametrize('split,num', [('training', NUM_TRAIN), ('evaluation', NUM_TEST)])
def test_labels_project_onto_the_images(written, split, num):
    out, generator = written
    K, xyz, verts = (np.array(load(out, split, n)) for n in ('K', 'xyz', 'verts'))
    for i in range(num):
        image = cv2.imread(osp.join(out, split, 'rgb', f'{i:08d}.jpg'))
        mask = cv2.imread(osp.join(out, split, 'mask', f'{i:08d}.jpg'), cv2.IMREAD_GRAYSCALE) > 127
        depth = cv2.imread(osp.join(out, split, 'depth', f'{i:08d}.png'), cv2.IMREAD_UNCHANGED)
        assert image.shape == (224, 224, 3) and depth.dtype == np.uint16
        joints_uv = xyz[i] @ K[i].T
        joints_uv = joints_uv[:, :2] / joints_uv[:, 2:]
        assert ((joints_uv >= 0) & (joints_uv <= 223)).all(), f'{split} {i}: joint off image'
        # Every vertex projects onto the hand's silhouette: the visible mask or an occluder
        # (the occluders are re-created in memory), within the rounding of one pixel.
        occluder = generator.sample(i, split).occluder_mask
        covered = cv2.dilate((mask | occluder).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
        uv = verts[i] @ K[i].T
        pixels = np.rint(uv[:, :2] / uv[:, 2:]).astype(int)
        assert covered[pixels[:, 1], pixels[:, 0]].mean() >= 0.99, f'{split} {i}'
        # Depth (mm) at visible hand pixels lies within the hand's z range.
        hand_mm = depth[mask & ~occluder].astype(float)
        assert hand_mm.size and hand_mm.min() >= 1000 * verts[i, :, 2].min() - 1
        assert hand_mm.max() <= 1000 * verts[i, :, 2].max() + 1
        assert (depth[~(cv2.dilate((mask | occluder).astype(np.uint8),
                                   np.ones((5, 5), np.uint8)) > 0)] == 0).all()


def test_versions_share_labels_and_differ_in_appearance(written):
    out, _ = written
    assert osp.isfile(osp.join(out, 'training', 'rgb', f'{2 * NUM_TRAIN - 1:08d}.jpg'))
    assert not osp.exists(osp.join(out, 'training', 'rgb', f'{2 * NUM_TRAIN:08d}.jpg'))
    assert not osp.exists(osp.join(out, 'training', 'mask', f'{NUM_TRAIN:08d}.jpg'))
    first = cv2.imread(osp.join(out, 'training', 'rgb', '00000000.jpg')).astype(int)
    second = cv2.imread(osp.join(out, 'training', 'rgb', f'{NUM_TRAIN:08d}.jpg')).astype(int)
    assert np.abs(first - second).mean() > 10


def test_same_seed_gives_identical_files(written, tmp_path):
    out, _ = written
    again = str(tmp_path / 'again')
    write_synthhand(again, NUM_TRAIN, NUM_TEST, seed=SEED, versions=2, progress=False)
    names = [f'{s}_{n}.json' for s in ('training', 'evaluation')
             for n in ('K', 'xyz', 'verts', 'mano', 'scale')]
    names += [osp.join('training', 'rgb', f'{i:08d}.jpg') for i in range(2 * NUM_TRAIN)]
    names += [osp.join('training', k, f'{i:08d}.{e}') for i in range(NUM_TRAIN)
              for k, e in (('mask', 'jpg'), ('depth', 'png'))]
    match, mismatch, errors = filecmp.cmpfiles(out, again, names, shallow=False)
    assert not mismatch and not errors
    other = str(tmp_path / 'other')
    write_synthhand(other, 1, 0, seed=SEED + 1, progress=False)
    assert not filecmp.cmp(osp.join(out, 'training_xyz.json'),
                           osp.join(other, 'training_xyz.json'), shallow=False)


def test_bad_arguments_are_rejected(tmp_path):
    with pytest.raises(ValueError, match='versions'):
        write_synthhand(str(tmp_path), 1, 1, versions=5, progress=False)


def test_a_non_empty_folder_is_refused_unless_overwriting_and_then_only_ours_is_replaced(
        tmp_path, capsys):
    from diffhand_mm.utils.cli import run_tool
    from tools.dataset_converters import make_synthhand
    out = tmp_path / 'data'
    write_synthhand(str(out), 0, 3, seed=SEED, progress=False)
    (out / 'notes.txt').write_text('mine')
    with pytest.raises(SystemExit) as stop:
        run_tool(make_synthhand.main, ['--out', str(out), '--num-train', '0', '--num-test', '1',
                                       '--no-progress'], prog='make_synthhand.py')
    assert stop.value.code == 2
    assert capsys.readouterr().err.startswith(
        f'make_synthhand.py: error: {out} is not empty (13 entries, e.g. evaluation); pass '
        '--overwrite')
    assert len(list((out / 'evaluation' / 'rgb').iterdir())) == 3  # untouched
    make_synthhand.main(['--out', str(out), '--num-train', '0', '--num-test', '1',
                         '--no-progress', '--overwrite'])
    # no image of the earlier, larger run is left beside the new labels; other files stay
    assert sorted(p.name for p in (out / 'evaluation' / 'rgb').iterdir()) == ['00000000.jpg']
    assert len(load(str(out), 'evaluation', 'xyz')) == 1
    assert (out / 'notes.txt').read_text() == 'mine'


def test_an_interrupted_run_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    from diffhand_mm.synth import writer
    out = tmp_path / 'data'
    write_synthhand(str(out), 0, 2, seed=SEED, progress=False)
    before = sorted(str(p.relative_to(out)) for p in out.rglob('*'))
    original = writer._write_split

    def fail_on_evaluation(generator, folder, split, *args):
        if split == 'evaluation':
            raise KeyboardInterrupt
        return original(generator, folder, split, *args)

    monkeypatch.setattr(writer, '_write_split', fail_on_evaluation)
    with pytest.raises(KeyboardInterrupt):
        write_synthhand(str(out), 1, 1, seed=SEED, progress=False, overwrite=True)
    assert sorted(str(p.relative_to(out)) for p in out.rglob('*')) == before

"""Write SynthHand to disk in FreiHAND's layout, so FreiHAND loaders read it unchanged.

Layout under ``out_dir`` (N training and M evaluation samples, V image versions)::

    training_K.json       N x (3,3) intrinsics
    training_xyz.json     N x (21,3) joints, metres, camera frame, OpenPose/FreiHAND order
    training_verts.json   N x (778,3) vertices of OUR open hand model (not MANO's topology)
    training_mano.json    N x (1,61): 48 axis-angle pose + 10 betas of OUR hand model,
                          uv_root (2, pixel of joint 9) and scale (mean focal / z of joint 9),
                          nested (1,61) like FreiHAND's file
    training_scale.json   N floats, ||xyz[9] - xyz[10]|| in metres
    training/rgb/%08d.jpg      N x V images: sample i in version v has id i + N * v
                               (versions in FreiHAND's order gs, hom, sample, auto)
    training/mask/%08d.jpg     N visible-hand masks (0 / 255, grey), shared by the versions
    training/depth/%08d.png    N uint16 depth maps in millimetres (0 = background)
    evaluation_{K,xyz,verts,mano,scale}.json, evaluation/rgb/%08d.jpg,
    evaluation/mask/%08d.jpg, evaluation/depth/%08d.png   the same for the M test samples

Depth maps hold the camera-frame z of the visible surface, rounded to millimetres: the hand,
or the occluders (flat cut-outs between the camera and the hand) where they cover it.
Masks are the hand pixels not hidden by occluders. Every file is a function of the seed.
"""
import json
import os
import os.path as osp
import shutil
from typing import List

import cv2
import numpy as np
from tqdm import tqdm

from .generator import SynthHandGenerator, SynthSample

VERSIONS = ('gs', 'hom', 'sample', 'auto')
JPEG_QUALITY = 95
PARTIAL_DIR = '.synthhand-partial'


def _dump_json(path: str, entries: List) -> None:
    with open(path, 'w') as f:
        json.dump(entries, f)


def _write_image(path: str, image: np.ndarray, params=()) -> None:
    if not cv2.imwrite(path, image, list(params)):
        raise OSError(f'SynthHand: could not write {path}')


def depth_to_png16(depth: np.ndarray) -> np.ndarray:
    """(H,W) float metres -> uint16 millimetres (values above 65.535 m are an error)."""
    millimetres = np.rint(depth * 1000.0)
    if millimetres.max(initial=0) > np.iinfo(np.uint16).max:
        raise ValueError(f'SynthHand: depth {depth.max():.3f} m does not fit uint16 millimetres')
    return millimetres.astype(np.uint16)


def _write_split(generator: SynthHandGenerator, out_dir: str, split: str, num: int,
                 versions: int, progress: bool) -> None:
    folders = {kind: osp.join(out_dir, split, kind) for kind in ('rgb', 'mask', 'depth')}
    for folder in folders.values():
        os.makedirs(folder, exist_ok=True)
    labels = {name: [] for name in ('K', 'xyz', 'verts', 'mano', 'scale')}
    jpeg = (cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY)
    for index in tqdm(range(num), desc=f'SynthHand {split}', disable=not progress):
        sample: SynthSample = generator.sample(index, split, version=0)
        _write_image(osp.join(folders['rgb'], f'{index:08d}.jpg'), sample.image, jpeg)
        _write_image(osp.join(folders['mask'], f'{index:08d}.jpg'),
                     sample.mask.astype(np.uint8) * 255, jpeg)
        _write_image(osp.join(folders['depth'], f'{index:08d}.png'), depth_to_png16(sample.depth))
        for version in range(1, versions):
            image = generator.sample(index, split, version=version).image
            _write_image(osp.join(folders['rgb'], f'{index + num * version:08d}.jpg'), image, jpeg)
        xyz = sample.joints.astype(np.float64)
        labels['K'].append(sample.K.astype(np.float64).tolist())
        labels['xyz'].append(xyz.tolist())
        labels['verts'].append(sample.vertices.astype(np.float64).tolist())
        labels['mano'].append([sample.mano.astype(np.float64).tolist()])
        labels['scale'].append(float(np.linalg.norm(xyz[9] - xyz[10])))
    for name, entries in labels.items():
        _dump_json(osp.join(out_dir, f'{split}_{name}.json'), entries)


def synthhand_entries() -> List[str]:
    """The names SynthHand writes at the top of its output folder."""
    return ['training', 'evaluation'] + [f'{split}_{name}.json'
                                         for split in ('training', 'evaluation')
                                         for name in ('K', 'xyz', 'verts', 'mano', 'scale')]


def write_synthhand(out_dir: str, num_train: int, num_test: int, seed: int = 0,
                    image_size: int = 224, versions: int = 1, progress: bool = True,
                    overwrite: bool = False, **generator_kwargs) -> SynthHandGenerator:
    """Generate SynthHand into ``out_dir`` (layout: see the module docstring).

    Nothing is half-written: the files go to a hidden folder inside ``out_dir`` and are moved
    into place when every one is written (an interrupted run leaves ``out_dir`` as it was;
    the next run removes the hidden folder).

    Args:
        out_dir: output folder; it must be absent or empty unless ``overwrite``.
        num_train: number of unique training samples N.
        num_test: number of evaluation samples M.
        seed: dataset seed; the same seed gives the same files.
        image_size: image side in pixels.
        versions: training image versions to write, 1-4 (FreiHAND has 4).
        progress: show tqdm progress bars.
        overwrite: replace the SynthHand files (:func:`synthhand_entries`) of an earlier run
            in ``out_dir``, whole (no older image is left beside the new labels); other files
            there are left alone.
        **generator_kwargs: passed on to :class:`SynthHandGenerator`.

    Returns:
        The generator used (to re-create any sample in memory).

    Raises:
        FileExistsError: ``out_dir`` is not empty and ``overwrite`` is False.
    """
    if not 1 <= versions <= len(VERSIONS):
        raise ValueError(f'SynthHand: versions must be 1..{len(VERSIONS)}, got {versions}')
    if num_train < 0 or num_test < 0:
        raise ValueError(f'SynthHand: sample counts must be >= 0, got {num_train}, {num_test}')
    partial = osp.join(out_dir, PARTIAL_DIR)
    existing = sorted(n for n in os.listdir(out_dir) if n != PARTIAL_DIR) \
        if osp.isdir(out_dir) else []
    if existing and not overwrite:
        raise FileExistsError(
            f'{out_dir} is not empty ({len(existing)} entries, e.g. {existing[0]}); pass '
            '--overwrite (overwrite=True) to replace the SynthHand files in it, or choose an '
            'empty folder')
    generator = SynthHandGenerator(image_size=image_size, seed=seed, **generator_kwargs)
    shutil.rmtree(partial, ignore_errors=True)  # left by an interrupted run
    os.makedirs(partial)
    try:
        _write_split(generator, partial, 'training', num_train, versions, progress)
        _write_split(generator, partial, 'evaluation', num_test, 1, progress)
        for name in synthhand_entries():
            target = osp.join(out_dir, name)
            if osp.isdir(target):
                shutil.rmtree(target)
            elif osp.lexists(target):
                os.remove(target)
            os.replace(osp.join(partial, name), target)
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return generator

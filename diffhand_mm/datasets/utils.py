"""Small helpers shared by the hand datasets: array readers, projection, boxes, index caches."""
import hashlib
import json
import os
import os.path as osp
import warnings
import zipfile
from typing import Callable, Dict, Optional, Sequence, Union

import numpy as np
from mmengine.logging import print_log

from diffhand_mm.hand.units import HAND_EXTENT_RANGE_M, joint_extents, unit_problem
from diffhand_mm.utils.atomic_io import atomic_open
from diffhand_mm.utils.cli import InputError

# MANO's 16 skeleton joints followed by the 5 fingertips (thumb, index, middle, ring, pinky),
# the order of HO-3D's `handJoints3D`, mapped to OpenPose / FreiHAND order.
MANO_TIPS_TO_OPENPOSE = (0, 13, 14, 15, 16, 1, 2, 3, 17, 4, 5, 6, 18, 10, 11, 12, 19, 7, 8, 9, 20)

_BRACKETS_TO_SPACES = bytes.maketrans(b'[]', b'  ')


def load_json_array(path: str, item_shape: Sequence[int]) -> np.ndarray:
    """Read a JSON list of equally shaped numeric arrays into one float32 array.

    FreiHAND's annotation files are large JSON lists (``training_verts.json`` holds
    32,560 x 778 x 3 numbers); ``json.load`` would build ~75M Python floats. The numbers are
    parsed in C by NumPy instead, and the bracket count checks that every item has the expected
    nesting; anything irregular falls back to ``json`` for a precise error.

    Args:
        path: the JSON file.
        item_shape: shape of one item, e.g. ``(21, 3)``.

    Returns:
        float32 array of shape ``(N, *item_shape)``.

    Raises:
        FileNotFoundError: the file does not exist.
        ValueError: the file is not a list of arrays of ``item_shape``.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'Annotation file not found: {path}')
    with open(path, 'rb') as f:
        raw = f.read()
    item_size = int(np.prod(item_shape))
    # An item of shape (a, b) opens 1 + a brackets; the outer list opens one more.
    opens_per_item = 1 + (int(np.prod(item_shape[:-1])) if len(item_shape) > 1 else 0)
    with warnings.catch_warnings():
        # NumPy warns and stops early on text it cannot read; the count check below catches it.
        warnings.simplefilter('ignore')
        flat = np.fromstring(raw.translate(_BRACKETS_TO_SPACES), dtype=np.float64, sep=',')
    # Every comma separates two numbers, so a complete parse reads commas + 1 numbers; a file
    # cut short (closing brackets lost) has more '[' than ']' and goes to the precise reader.
    complete = raw.count(b'[') == raw.count(b']') and raw.rstrip().endswith(b']')
    if complete and flat.size == raw.count(b',') + 1 and flat.size % item_size == 0:
        num_items = flat.size // item_size
        if raw.count(b'[') == 1 + num_items * opens_per_item:
            return flat.astype(np.float32).reshape((num_items, *item_shape))
    return _load_json_array_slow(path, raw, tuple(item_shape))


def _load_json_array_slow(path: str, raw: bytes, item_shape: tuple) -> np.ndarray:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        cut = ('; the file ends in the middle of the list: it is truncated (copy it again)'
               if err.pos >= len(raw.rstrip()) else '')
        raise ValueError(f'{path}: not valid JSON ({err}){cut}') from err
    if not isinstance(data, list) or not data:
        raise ValueError(f'{path}: expected a non-empty JSON list of arrays of shape '
                         f'{item_shape}')
    for i, item in enumerate(data):
        try:
            shape = np.asarray(item, dtype=np.float64).shape
        except (ValueError, TypeError):
            shape = 'ragged or non-numeric'
        if shape != item_shape:
            raise ValueError(f'{path}: item {i} has shape {shape}, expected {item_shape}')
    return np.asarray(data, dtype=np.float32)


def project_points(points: np.ndarray, K: np.ndarray) -> np.ndarray:
    """Pinhole projection, pixel centres at integers; batched over leading dimensions.

    Args:
        points: (..., P, 3) camera-frame points (z forward).
        K: (..., 3, 3) intrinsics, broadcast against ``points``' leading dimensions.

    Returns:
        (..., P, 2) pixel coordinates.
    """
    uvw = np.einsum('...ij,...pj->...pi', K, points)
    return uvw[..., :2] / uvw[..., 2:3]


def bbox_from_points(uv: np.ndarray, margin: float) -> np.ndarray:
    """Bounding box x1, y1, x2, y2 of 2D points, grown by ``margin`` times its larger side on
    each side; batched over leading dimensions.

    Args:
        uv: (..., P, 2) pixels.
        margin: growth per side as a fraction of the box's larger side.

    Returns:
        (..., 4) float32.
    """
    lo, hi = uv.min(axis=-2), uv.max(axis=-2)
    grow = margin * (hi - lo).max(axis=-1, keepdims=True)
    return np.concatenate([lo - grow, hi + grow], axis=-1).astype(np.float32)


def check_shape(array: np.ndarray, shape: Sequence[Optional[int]], source: str, name: str):
    """Raise a ValueError naming ``source`` unless ``array`` matches ``shape`` (None = any)."""
    ok = array.ndim == len(shape) and all(s is None or s == d for s, d in zip(shape, array.shape))
    if not ok:
        wanted = tuple('N' if s is None else s for s in shape)
        raise ValueError(f'{source}: `{name}` has shape {array.shape}, expected {wanted}')


def cached_index(cache_dir: Optional[str], prefix: str, key: dict,
                 build: Callable[[], Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
    """Return ``build()``, stored in / read from an ``.npz`` file in ``cache_dir`` when given.

    The cache holds numpy arrays only and is read with ``allow_pickle=False``: a cache file
    cannot run code. It is written atomically (a killed run leaves no half-written cache).

    Args:
        cache_dir: folder for cache files, or None to always build.
        prefix: start of the file name, e.g. ``'dexycb_s0_train'``.
        key: JSON-serialisable description of everything the index depends on (data root,
            split, options, file sizes...); its hash is part of the file name, so a change makes
            a new cache instead of reusing a stale one.
        build: function computing the index: a dict of numpy arrays (numeric or str) and
            plain numbers / strings (stored as 0-d arrays, given back as Python scalars).
    """
    if cache_dir is None:
        return build()
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = osp.join(cache_dir, f'{prefix}_{digest}.npz')
    if osp.isfile(path):
        try:
            with np.load(path, allow_pickle=False) as stored:
                return {k: stored[k].item() if stored[k].ndim == 0 else stored[k]
                        for k in stored.files}
        except (OSError, ValueError, zipfile.BadZipFile) as err:
            print_log(f'Dataset index cache {path} is unreadable ({err}); rebuilding it',
                      logger='current', level=30)
    index = build()
    arrays = {k: np.asarray(v) for k, v in index.items()}
    objects = [k for k, v in arrays.items() if v.dtype == object]
    if objects:
        raise TypeError(f'cached_index: {objects} are object arrays; the cache holds plain '
                        'arrays only')
    with atomic_open(path, 'wb') as f:
        np.savez(f, **arrays)
    print_log(f'Saved the dataset index to {path}', logger='current')
    return index


def file_signature(path: str) -> list:
    """(size, mtime) of a file, to key caches on the files they were built from."""
    stat = os.stat(path)
    return [stat.st_size, int(stat.st_mtime)]


def _first_bad(bad: np.ndarray, sample_ids: np.ndarray) -> tuple:
    """(first bad position, how many, text listing a few more ids) of a (N,) bool mask."""
    positions = np.flatnonzero(bad)
    more = ''
    if len(positions) > 1:
        shown = ', '.join(str(i) for i in sample_ids[positions[1:6]])
        more = f' ({len(positions)} samples in all; also ids {shown}' + \
            (', ...)' if len(positions) > 6 else ')')
    return positions[0], more


def validate_labels(dataset: str, labels: Dict[str, np.ndarray],
                    sources: Dict[str, Union[str, Sequence[str]]],
                    sample_ids: Sequence[int]) -> None:
    """Check all samples' labels at once (vectorised); raise on the first problem found.

    Every array must be finite. Names with a meaning get more checks: ``K`` (N,3,3) must be
    pinhole matrices (fx, fy > 0, last row 0 0 1); ``joints_3d`` / ``vertices_3d`` (N,P,3)
    must lie in front of the camera (z > 0); ``joints_3d`` must be the size of a hand in
    metres (:mod:`diffhand_mm.hand.units`).

    Args:
        dataset: Name for messages (``'FreiHAND'``).
        labels: name -> (N, ...) array, one row per sample.
        sources: name -> the file the array was read from, or one file per sample.
        sample_ids: (N,) the samples' ids, as the dataset reports them.

    Raises:
        InputError: naming the file, the sample id, the label and the problem, and how many
            samples share it.
    """
    sample_ids = np.asarray(sample_ids)
    for name, values in labels.items():
        values = np.asarray(values)
        flat = values.reshape(len(values), -1)
        checks = [(~np.isfinite(flat).all(axis=1), 'holds NaN or infinite values')]
        if name == 'K' and len(values):
            checks.append(((values[:, 0, 0] <= 0) | (values[:, 1, 1] <= 0) |
                           (np.abs(values[:, 2] - [0, 0, 1]) > 1e-6).any(axis=1),
                           'is not a pinhole matrix [[fx, s, cx], [0, fy, cy], [0, 0, 1]] with '
                           'fx, fy > 0'))
        if name in ('joints_3d', 'vertices_3d') and len(values):
            checks.append(((values[..., 2] <= 0).any(axis=1),
                           'has points behind the camera (z <= 0 m)'))
        if name == 'joints_3d' and len(values):
            extents = joint_extents(values)
            low, high = HAND_EXTENT_RANGE_M
            bad_units = (extents < low) | (extents > high)  # False for NaN (checked above)
            if bad_units.any():
                first = np.flatnonzero(bad_units)[0]
                checks.append((bad_units, unit_problem(extents[first])))
        for bad, problem in checks:
            if bad.any():
                first, more = _first_bad(bad, sample_ids)
                source = sources[name] if isinstance(sources[name], str) else \
                    sources[name][first]
                raise InputError(f'{dataset}: {source}: sample {sample_ids[first]}: `{name}` '
                                 f'{problem}{more}')


def missing_files(paths: Sequence[str]) -> np.ndarray:
    """(N,) bool: which of ``paths`` are not files. One directory listing per folder, so
    checking 130K images costs a fraction of a second."""
    listings: Dict[str, set] = {}
    missing = np.zeros(len(paths), dtype=bool)
    for i, path in enumerate(paths):
        folder, name = osp.split(path)
        if folder not in listings:
            listings[folder] = set(os.listdir(folder)) if osp.isdir(folder) else set()
        missing[i] = name not in listings[folder]
    return missing


def check_files_exist(dataset: str, what: str, paths: Sequence[str],
                      sample_ids: Sequence[int]) -> None:
    """Raise a FileNotFoundError naming the first missing file of ``paths``, its sample id
    and how many are missing (see :func:`missing_files`)."""
    missing = missing_files(paths)
    if missing.any():
        first, more = _first_bad(missing, np.asarray(sample_ids))
        raise FileNotFoundError(f'{dataset}: {what} of sample {sample_ids[first]} not found: '
                                f'{paths[first]}{more}')

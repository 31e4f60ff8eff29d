"""Small helpers shared by the hand datasets: array readers, projection, boxes, index caches."""
import hashlib
import json
import os
import os.path as osp
import pickle
import warnings
from typing import Callable, Dict, Optional, Sequence

import numpy as np
from mmengine.logging import print_log

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
    # Every comma separates two numbers, so a complete parse reads commas + 1 numbers.
    if flat.size == raw.count(b',') + 1 and flat.size % item_size == 0:
        num_items = flat.size // item_size
        if raw.count(b'[') == 1 + num_items * opens_per_item:
            return flat.astype(np.float32).reshape((num_items, *item_shape))
    return _load_json_array_slow(path, raw, tuple(item_shape))


def _load_json_array_slow(path: str, raw: bytes, item_shape: tuple) -> np.ndarray:
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as err:
        raise ValueError(f'{path}: not valid JSON ({err})') from err
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
    """Pinhole projection, pixel centres at integers.

    Args:
        points: (N, 3) camera-frame points (z forward).
        K: (3, 3) intrinsics.

    Returns:
        (N, 2) pixel coordinates.
    """
    uvw = points @ K.T
    return uvw[:, :2] / uvw[:, 2:3]


def bbox_from_points(uv: np.ndarray, margin: float) -> np.ndarray:
    """Bounding box x1, y1, x2, y2 of 2D points, grown by ``margin`` times its larger side on
    each side. Returns (4,) float32."""
    lo, hi = uv.min(axis=0), uv.max(axis=0)
    grow = margin * float(max(hi - lo))
    return np.array([lo[0] - grow, lo[1] - grow, hi[0] + grow, hi[1] + grow], dtype=np.float32)


def check_shape(array: np.ndarray, shape: Sequence[Optional[int]], source: str, name: str):
    """Raise a ValueError naming ``source`` unless ``array`` matches ``shape`` (None = any)."""
    ok = array.ndim == len(shape) and all(s is None or s == d for s, d in zip(shape, array.shape))
    if not ok:
        wanted = tuple('N' if s is None else s for s in shape)
        raise ValueError(f'{source}: `{name}` has shape {array.shape}, expected {wanted}')


def cached_index(cache_dir: Optional[str], prefix: str, key: dict,
                 build: Callable[[], Dict[str, np.ndarray]]) -> Dict[str, np.ndarray]:
    """Return ``build()``, stored in / read from a pickle in ``cache_dir`` when one is given.

    Args:
        cache_dir: folder for cache files, or None to always build.
        prefix: start of the file name, e.g. ``'dexycb_s0_train'``.
        key: JSON-serialisable description of everything the index depends on (data root,
            split, options, file sizes...); its hash is part of the file name, so a change makes
            a new cache instead of reusing a stale one.
        build: function computing the index (a dict of numpy arrays and plain values).
    """
    if cache_dir is None:
        return build()
    digest = hashlib.sha1(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = osp.join(cache_dir, f'{prefix}_{digest}.pkl')
    if osp.isfile(path):
        with open(path, 'rb') as f:
            return pickle.load(f)
    index = build()
    os.makedirs(cache_dir, exist_ok=True)
    tmp_path = f'{path}.tmp{os.getpid()}'
    with open(tmp_path, 'wb') as f:
        pickle.dump(index, f, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(tmp_path, path)  # atomic: a concurrent reader never sees half a file
    print_log(f'Saved the dataset index to {path}', logger='current')
    return index


def file_signature(path: str) -> list:
    """(size, mtime) of a file, to key caches on the files they were built from."""
    stat = os.stat(path)
    return [stat.st_size, int(stat.st_mtime)]

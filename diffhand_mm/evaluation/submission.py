"""Writers and readers of the benchmarks' official submission and ground-truth files.

Every array crossing this module's boundary is in our convention: metres, the usual camera
frame (x right, y down, z forward), joints in OpenPose order. The official formats differ:

- FreiHAND ``pred.json``: ``[xyz_list, verts_list]``, one (21, 3) and one (778, 3) list per
  evaluation sample in the order of the evaluation set; metres, camera frame, OpenPose order.
  Ground truth: ``evaluation_xyz.json`` and ``evaluation_verts.json``, same structure.
- HO-3D ``pred.json``: the same structure, but OpenGL coordinates (y and z negated) and
  HO-3D's joint order (wrist, index 1-3, middle 1-3, pinky 1-3, ring 1-3, thumb 1-3, then the
  tips of thumb, index, middle, ring, pinky). The released ground truth
  (``evaluation_xyz.json``, ``evaluation_verts.json``) is in the same convention, which is what
  the official ``eval.py`` compares against.
- DexYCB results text (``dex_ycb_toolkit/hpe_eval.py``): one line per image,
  ``image_id,x1,y1,z1,...,x21,y21,z21``: 64 comma-separated values, joints in millimetres,
  camera frame, OpenPose order. Ground truth: the toolkit's ``anno_hpe_<name>.pkl``, a pickle
  of ``{'joint_3d': {image_id: (21, 3) array in mm}}``.
"""
import json
import os
from typing import Dict, Sequence, Tuple

import numpy as np

from diffhand_mm.hand.units import joint_extents, unit_problem
from diffhand_mm.utils.safe_pickle import load_pickle

#: ``openpose_joints = ho3d_joints[:, OPENPOSE_FROM_HO3D]``.
OPENPOSE_FROM_HO3D = (0, 13, 14, 15, 16, 1, 2, 3, 17, 4, 5, 6, 18, 10, 11, 12, 19, 7, 8, 9, 20)
#: ``ho3d_joints = openpose_joints[:, HO3D_FROM_OPENPOSE]``.
HO3D_FROM_OPENPOSE = tuple(int(i) for i in np.argsort(OPENPOSE_FROM_HO3D))
#: Multiplying by this switches between the camera frame and OpenGL's (an involution).
OPENGL_FLIP = np.array([1.0, -1.0, -1.0])

NUM_JOINTS = 21
NUM_MANO_VERTICES = 778
_M_TO_MM = 1000.0


# ----------------------------------------------------------------------------- validation
def _points_array(values, num_points: int, file: str, what: str) -> np.ndarray:
    """(N, num_points, 3) float64 from nested lists, or an error naming the file and sample."""
    if not isinstance(values, list) or not values:
        raise ValueError(f'{file}: {what}: expected a non-empty list with one entry per sample')
    try:
        array = np.asarray(values, dtype=np.float64)
    except (ValueError, TypeError):
        array = None
    if array is None or array.ndim != 3 or array.shape[1:] != (num_points, 3):
        for index, sample in enumerate(values):
            shape = np.shape(sample) if _is_rectangular(sample) else 'ragged'
            if shape != (num_points, 3):
                raise ValueError(f'{file}: {what} of sample {index} has shape {shape}, '
                                 f'expected ({num_points}, 3)')
        raise ValueError(f'{file}: {what} could not be read as ({len(values)}, {num_points}, 3) '
                         'numbers')
    if not np.all(np.isfinite(array)):
        raise ValueError(f'{file}: {what} contains NaN or infinite values')
    return array


def _check_units(joints: np.ndarray, file: str, what: str, unit: str = 'metres') -> None:
    """Raise if the typical hand of ``joints`` (N, 21, 3), in the numbers as stored, is not
    the size of a hand in ``unit`` (a file in millimetres scored as metres gives errors of
    hundreds of metres and no other sign). One wild prediction does not trip it: the median
    hand is judged."""
    extents = joint_extents(joints)
    if np.isfinite(extents).any():
        problem = unit_problem(float(np.nanmedian(extents)), unit)
        if problem is not None:
            raise ValueError(f'{file}: {what}: the median hand {problem}; the format '
                             f'stores {unit}')


def _is_rectangular(sample) -> bool:
    try:
        np.asarray(sample, dtype=np.float64)
        return True
    except (ValueError, TypeError):
        return False


def _check_predictions(joints: np.ndarray, vertices=None) -> Tuple[np.ndarray, np.ndarray]:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f'joints must have shape (N, {NUM_JOINTS}, 3), got {joints.shape}')
    if vertices is not None:
        vertices = np.asarray(vertices, dtype=np.float64)
        if vertices.ndim != 3 or vertices.shape[2] != 3 or len(vertices) != len(joints):
            raise ValueError(f'vertices must have shape ({len(joints)}, V, 3), got '
                             f'{vertices.shape}')
    return joints, vertices


def _load_json(file: str):
    if not os.path.isfile(file):
        raise FileNotFoundError(f'{file}: file not found')
    with open(file) as f:
        try:
            return json.load(f)
        except json.JSONDecodeError as error:
            raise ValueError(f'{file}: not valid JSON ({error})') from None


def _write_json_pair(out_file: str, joints: np.ndarray, vertices: np.ndarray) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
    with open(out_file, 'w') as f:
        json.dump([joints.tolist(), vertices.tolist()], f)


# ----------------------------------------------------------------------------- FreiHAND
def write_freihand_submission(out_file: str, joints: np.ndarray, vertices: np.ndarray) -> None:
    """Write FreiHAND's ``pred.json``.

    Args:
        out_file: path of the JSON file to write.
        joints: (N, 21, 3) predicted joints, metres, camera frame, OpenPose order, in the
            order of the evaluation set.
        vertices: (N, V, 3) predicted vertices, metres, camera frame (V = 778 for MANO).
    """
    joints, vertices = _check_predictions(joints, vertices)
    _write_json_pair(out_file, joints, vertices)


def read_freihand_pair(xyz_file: str, verts_file: str = None, what: str = 'prediction'
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """Read joints and vertices stored FreiHAND's way.

    Args:
        xyz_file: a ``pred.json`` (``[xyz_list, verts_list]``) when ``verts_file`` is None,
            else an ``*_xyz.json`` holding only the joint list.
        verts_file: the ``*_verts.json`` holding the vertex list, or None.
        what: 'prediction' or 'ground truth', for error messages.

    Returns:
        joints (N, 21, 3) and vertices (N, 778, 3), float64 metres, as stored.
    """
    if verts_file is None:
        content = _load_json(xyz_file)
        if not isinstance(content, list) or len(content) != 2:
            raise ValueError(f'{xyz_file}: expected a JSON list [xyz_list, verts_list] of two '
                             'lists')
        joint_list, vertex_list = content
        joint_file = vertex_file = xyz_file
    else:
        joint_list, vertex_list = _load_json(xyz_file), _load_json(verts_file)
        joint_file, vertex_file = xyz_file, verts_file
    if len(joint_list) != len(vertex_list):
        raise ValueError(f'{joint_file}, {vertex_file}: {len(joint_list)} {what} joint sets but '
                         f'{len(vertex_list)} vertex sets')
    joints = _points_array(joint_list, NUM_JOINTS, joint_file, f'{what} joints')
    vertices = _points_array(vertex_list, NUM_MANO_VERTICES, vertex_file, f'{what} vertices')
    _check_units(joints, joint_file, f'{what} joints')
    return joints, vertices


def read_freihand_ground_truth(gt_dir: str, set_name: str = 'evaluation'
                               ) -> Tuple[np.ndarray, np.ndarray]:
    """Read ``<set_name>_xyz.json`` and ``<set_name>_verts.json`` from ``gt_dir``.

    Returns:
        joints (N, 21, 3) and vertices (N, 778, 3), float64 metres, camera frame.
    """
    return read_freihand_pair(os.path.join(gt_dir, f'{set_name}_xyz.json'),
                              os.path.join(gt_dir, f'{set_name}_verts.json'), 'ground truth')


# ----------------------------------------------------------------------------- HO-3D
def to_ho3d_convention(joints: np.ndarray, vertices: np.ndarray
                       ) -> Tuple[np.ndarray, np.ndarray]:
    """Camera frame + OpenPose order -> OpenGL frame + HO-3D joint order (and back with
    :func:`from_ho3d_convention`). Shapes (N, 21, 3) and (N, V, 3) are kept."""
    return (np.asarray(joints)[:, HO3D_FROM_OPENPOSE] * OPENGL_FLIP,
            np.asarray(vertices) * OPENGL_FLIP)


def from_ho3d_convention(joints: np.ndarray, vertices: np.ndarray
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """OpenGL frame + HO-3D joint order -> camera frame + OpenPose order."""
    return (np.asarray(joints)[:, OPENPOSE_FROM_HO3D] * OPENGL_FLIP,
            np.asarray(vertices) * OPENGL_FLIP)


def write_ho3d_submission(out_file: str, joints: np.ndarray, vertices: np.ndarray) -> None:
    """Write HO-3D's ``pred.json`` (OpenGL frame, HO-3D joint order).

    Args:
        out_file: path of the JSON file to write.
        joints: (N, 21, 3) predicted joints, metres, camera frame, OpenPose order, in the
            order of the official ``evaluation.txt``.
        vertices: (N, V, 3) predicted vertices, metres, camera frame.
    """
    joints, vertices = _check_predictions(joints, vertices)
    _write_json_pair(out_file, *to_ho3d_convention(joints, vertices))


def read_ho3d_submission(pred_file: str) -> Tuple[np.ndarray, np.ndarray]:
    """Read HO-3D's ``pred.json``; returns (N, 21, 3) joints and (N, 778, 3) vertices,
    metres, converted to the camera frame and OpenPose order."""
    return from_ho3d_convention(*read_freihand_pair(pred_file))


def read_ho3d_ground_truth(gt_dir: str, set_name: str = 'evaluation'
                           ) -> Tuple[np.ndarray, np.ndarray]:
    """Read HO-3D's released ``<set_name>_xyz.json`` / ``<set_name>_verts.json`` (OpenGL,
    HO-3D order); returns them in the camera frame and OpenPose order, metres."""
    return from_ho3d_convention(*read_freihand_ground_truth(gt_dir, set_name))


# ----------------------------------------------------------------------------- DexYCB
def write_dexycb_results(out_file: str, image_ids: Sequence[int], joints: np.ndarray) -> None:
    """Write the DexYCB hand-pose results text of ``hpe_eval.py``.

    Args:
        out_file: path of the text file to write.
        image_ids: (N,) the toolkit's image index of each sample (its dataset index).
        joints: (N, 21, 3) predicted joints, metres, camera frame, OpenPose order (the
            toolkit's order); written in millimetres.
    """
    joints, _ = _check_predictions(joints)
    if len(image_ids) != len(joints):
        raise ValueError(f'{len(image_ids)} image ids for {len(joints)} joint sets')
    os.makedirs(os.path.dirname(os.path.abspath(out_file)), exist_ok=True)
    with open(out_file, 'w') as f:
        for image_id, sample in zip(image_ids, joints * _M_TO_MM):
            values = ','.join(repr(float(v)) for v in sample.reshape(-1))
            f.write(f'{int(image_id)},{values}\n')


def read_dexycb_results(res_file: str) -> Dict[int, np.ndarray]:
    """Read a DexYCB results text; returns {image_id: (21, 3) joints in metres}."""
    if not os.path.isfile(res_file):
        raise FileNotFoundError(f'{res_file}: file not found')
    results = {}
    with open(res_file) as f:
        for line_number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            values = line.split(',')
            if len(values) != 1 + NUM_JOINTS * 3:
                raise ValueError(f'{res_file}:{line_number}: expected {1 + NUM_JOINTS * 3} '
                                 f'comma-separated values, got {len(values)}')
            try:
                image_id = int(values[0])
                joints = np.array(values[1:], dtype=np.float64).reshape(NUM_JOINTS, 3)
            except ValueError as error:
                raise ValueError(f'{res_file}:{line_number}: {error}') from None
            if image_id in results:
                raise ValueError(f'{res_file}:{line_number}: image id {image_id} appears twice')
            if not np.all(np.isfinite(joints)):
                raise ValueError(f'{res_file}:{line_number}: NaN or infinite values')
            results[image_id] = joints / _M_TO_MM
    if results:
        _check_units(np.stack(list(results.values())) * _M_TO_MM, res_file, 'joints',
                     'millimetres')
    return results


def find_dexycb_ground_truth(gt: str) -> str:
    """``gt`` itself when it is a file, else the single ``anno_hpe_*.pkl`` in directory ``gt``."""
    if os.path.isfile(gt):
        return gt
    if not os.path.isdir(gt):
        raise FileNotFoundError(f'{gt}: no such file or directory')
    candidates = sorted(name for name in os.listdir(gt)
                        if name.startswith('anno_hpe_') and name.endswith('.pkl'))
    if len(candidates) != 1:
        raise FileNotFoundError(f'{gt}: expected exactly one anno_hpe_<name>.pkl, found '
                                f'{candidates or "none"}; pass the file itself')
    return os.path.join(gt, candidates[0])


def read_dexycb_ground_truth(gt: str) -> Dict[int, np.ndarray]:
    """Read the toolkit's ``anno_hpe_<name>.pkl`` (a pickle, read with numpy's allowlist).

    Args:
        gt: the pickle, or a directory holding exactly one ``anno_hpe_*.pkl``.

    Returns:
        {image_id: (21, 3) joints in metres}, the samples the toolkit scores (those with a hand).
    """
    gt_file = find_dexycb_ground_truth(gt)
    content = load_pickle(gt_file, what="dex-ycb-toolkit's ground truth (a dict of numpy arrays)")
    if not isinstance(content, dict) or not isinstance(content.get('joint_3d'), dict):
        raise ValueError(f"{gt_file}: expected a dict with a 'joint_3d' dict of image_id -> "
                         '(21, 3) joints in mm')
    annotations = {}
    for image_id, joints in content['joint_3d'].items():
        joints = np.asarray(joints, dtype=np.float64)
        if joints.shape != (NUM_JOINTS, 3):
            raise ValueError(f'{gt_file}: joints of image {image_id} have shape {joints.shape}, '
                             f'expected ({NUM_JOINTS}, 3)')
        annotations[int(image_id)] = joints / _M_TO_MM
    if annotations:
        _check_units(np.stack(list(annotations.values())) * _M_TO_MM, gt_file,
                     'ground-truth joints', 'millimetres')
    return annotations

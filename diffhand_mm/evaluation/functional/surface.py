"""Surface quality of a predicted mesh against the ground truth of the same topology.

Point errors (MPVPE) say how far vertices are from where they belong; they say little about
whether the surface is smooth where the hand is smooth: a mesh whose vertices scatter by a few
millimetres around the right places scores well but looks like crumpled paper. The dihedral
angle of every interior edge (the fold between its two faces) is what such a scatter changes,
and it does not change under rotation, translation or scale, so no alignment is needed.
"""
from typing import Tuple

import numpy as np

_RAD_TO_DEG = 180.0 / np.pi


def interior_edges(faces: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The edges shared by exactly two faces.

    Args:
        faces: (F, 3) vertex ids.

    Returns:
        tuple: ``first`` (E,) and ``second`` (E,) face ids of each interior edge, and
        ``edges`` (E, 2) its vertex ids in the order they follow each other in face ``first``.
        Boundary edges (one face, e.g. MANO's open wrist) are left out.

    Raises:
        ValueError: ``faces`` is not (F, 3), or an edge is shared by more than two faces
            (a non-manifold mesh has no single dihedral angle there).
    """
    faces = np.asarray(faces, dtype=np.int64)
    if faces.ndim != 2 or faces.shape[1] != 3:
        raise ValueError(f'faces must be (F, 3) vertex ids, got shape {faces.shape}')
    starts = faces.reshape(-1)
    ends = np.roll(faces, -1, axis=1).reshape(-1)
    face_ids = np.repeat(np.arange(len(faces)), 3)
    keys = np.sort(np.stack([starts, ends], axis=1), axis=1)
    _, inverse, counts = np.unique(keys, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    if counts.max(initial=0) > 2:
        bad = keys[np.flatnonzero(counts[inverse] > 2)[0]]
        raise ValueError(f'edge {tuple(bad)} is shared by {counts.max()} faces; dihedral angles '
                         'need a manifold mesh (at most two faces per edge)')
    order = np.argsort(inverse, kind='stable')
    shared = counts[inverse[order]] == 2
    pairs = order[shared].reshape(-1, 2)  # the two half-edges of each interior edge
    first, second = face_ids[pairs[:, 0]], face_ids[pairs[:, 1]]
    edges = np.stack([starts[pairs[:, 0]], ends[pairs[:, 0]]], axis=1)
    return first, second, edges


def dihedral_angles(vertices: np.ndarray, faces: np.ndarray) -> np.ndarray:
    """Signed fold angle of every interior edge: 0 where the surface is flat.

    The angle turns the normal of the edge's first face into that of its second face, about
    the edge as it runs in the first face (right-hand rule), so convex and concave folds have
    opposite signs (which sign is which depends only on the topology, the same for two meshes
    that share it).

    Args:
        vertices: (N, V, 3) or (V, 3) points (any unit).
        faces: (F, 3) vertex ids.

    Returns:
        (N, E) or (E,) float64 angles in radians, in (-pi, pi], ordered as
        :func:`interior_edges`.
    """
    vertices = np.asarray(vertices, dtype=np.float64)
    single = vertices.ndim == 2
    if single:
        vertices = vertices[None]
    if vertices.ndim != 3 or vertices.shape[-1] != 3:
        raise ValueError(f'vertices must be (N, V, 3) or (V, 3), got {vertices.shape}')
    faces = np.asarray(faces, dtype=np.int64)
    if faces.size and (faces.min() < 0 or faces.max() >= vertices.shape[1]):
        raise ValueError(f'faces name vertices {faces.min()}..{faces.max()}, but the meshes have '
                         f'{vertices.shape[1]} vertices (another topology?)')
    first, second, edges = interior_edges(faces)
    corners = vertices[:, faces]  # (N, F, 3, 3)
    normals = np.cross(corners[:, :, 1] - corners[:, :, 0], corners[:, :, 2] - corners[:, :, 0])
    axis = vertices[:, edges[:, 1]] - vertices[:, edges[:, 0]]
    axis = axis / np.maximum(np.linalg.norm(axis, axis=-1, keepdims=True), 1e-12)
    n1, n2 = normals[:, first], normals[:, second]
    # atan2 of (sin, cos) times |n1||n2|: no normalisation of the normals is needed.
    angles = np.arctan2(np.sum(np.cross(n1, n2) * axis, axis=-1), np.sum(n1 * n2, axis=-1))
    return angles[0] if single else angles


def dihedral_angle_errors(gt_vertices: np.ndarray, pred_vertices: np.ndarray,
                          faces: np.ndarray) -> np.ndarray:
    """Roughness: mean absolute difference of the dihedral angles to the ground truth's.

    Per sample, the mean over interior edges of ``|wrap(angle_pred - angle_gt)|``, degrees:
    0 for a mesh folded exactly like the ground truth, whatever its pose in space, and large
    for a crumpled surface. Invariant to similarity transforms of either mesh.

    Args:
        gt_vertices: (N, V, 3) ground-truth meshes.
        pred_vertices: (N, V, 3) predicted meshes, same topology (``faces``).
        faces: (F, 3) vertex ids of that topology.

    Returns:
        (N,) float64 degrees; report the mean over samples.
    """
    gt_vertices = np.asarray(gt_vertices)
    pred_vertices = np.asarray(pred_vertices)
    if gt_vertices.shape != pred_vertices.shape or gt_vertices.ndim != 3:
        raise ValueError(f'ground truth {gt_vertices.shape} and prediction {pred_vertices.shape} '
                         'must have the same shape (N, V, 3)')
    difference = dihedral_angles(pred_vertices, faces) - dihedral_angles(gt_vertices, faces)
    wrapped = np.angle(np.exp(1j * difference))  # into (-pi, pi]
    return np.mean(np.abs(wrapped), axis=-1) * _RAD_TO_DEG

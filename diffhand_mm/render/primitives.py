"""Simple meshes for tests and demos (a box, an icosphere) and hole capping for culling."""
from typing import List, Sequence, Tuple

import numpy as np


def make_box(center: Sequence[float] = (0.0, 0.0, 0.0),
             size: Sequence[float] = (1.0, 1.0, 1.0)) -> Tuple[np.ndarray, np.ndarray]:
    """Axis-aligned box with outward-facing triangles.

    Args:
        center: (3,) centre in metres.
        size: (3,) edge lengths in metres.

    Returns:
        vertices (8,3) float32 and faces (12,3) int64.
    """
    corners = np.array([[x, y, z] for x in (-0.5, 0.5) for y in (-0.5, 0.5) for z in (-0.5, 0.5)])
    vertices = corners * np.asarray(size) + np.asarray(center)
    # Corner index = 4*x + 2*y + z (bits); two triangles per side.
    quads = [(0, 1, 3, 2), (4, 6, 7, 5), (0, 4, 5, 1), (2, 3, 7, 6), (0, 2, 6, 4), (1, 5, 7, 3)]
    faces = [tri for a, b, c, d in quads for tri in ((a, b, c), (a, c, d))]
    return vertices.astype(np.float32), np.asarray(faces, dtype=np.int64)


def make_icosphere(subdivisions: int = 2, radius: float = 1.0,
                   center: Sequence[float] = (0.0, 0.0, 0.0)) -> Tuple[np.ndarray, np.ndarray]:
    """Icosphere: a subdivided icosahedron projected onto the sphere.

    Args:
        subdivisions: each level splits every triangle into 4 (20 * 4**n faces).
        radius: metres.
        center: (3,) metres.

    Returns:
        vertices (V,3) float32 and faces (F,3) int64, consistently wound.
    """
    t = (1.0 + 5 ** 0.5) / 2.0
    verts = [(-1, t, 0), (1, t, 0), (-1, -t, 0), (1, -t, 0), (0, -1, t), (0, 1, t),
             (0, -1, -t), (0, 1, -t), (t, 0, -1), (t, 0, 1), (-t, 0, -1), (-t, 0, 1)]
    verts = [np.asarray(v, dtype=np.float64) / np.linalg.norm(v) for v in verts]
    faces = [(0, 11, 5), (0, 5, 1), (0, 1, 7), (0, 7, 10), (0, 10, 11), (1, 5, 9), (5, 11, 4),
             (11, 10, 2), (10, 7, 6), (7, 1, 8), (3, 9, 4), (3, 4, 2), (3, 2, 6), (3, 6, 8),
             (3, 8, 9), (4, 9, 5), (2, 4, 11), (6, 2, 10), (8, 6, 7), (9, 8, 1)]
    for _ in range(subdivisions):
        midpoint_of = {}

        def midpoint(i, j):
            key = (min(i, j), max(i, j))
            if key not in midpoint_of:
                m = verts[i] + verts[j]
                verts.append(m / np.linalg.norm(m))
                midpoint_of[key] = len(verts) - 1
            return midpoint_of[key]

        new_faces = []
        for a, b, c in faces:
            ab, bc, ca = midpoint(a, b), midpoint(b, c), midpoint(c, a)
            new_faces += [(a, ab, ca), (b, bc, ab), (c, ca, bc), (ab, bc, ca)]
        faces = new_faces
    vertices = np.stack(verts) * radius + np.asarray(center)
    return vertices.astype(np.float32), np.asarray(faces, dtype=np.int64)


def boundary_loops(faces: np.ndarray) -> List[np.ndarray]:
    """Vertex ids of each hole's boundary (edges used by one face only), one array per hole.

    Args:
        faces: (F,3) int vertex indices of an edge-manifold mesh.

    Returns:
        list of (L,) int64 arrays, each the vertices of one connected boundary (unordered).
    """
    faces = np.asarray(faces, dtype=np.int64)
    edges = np.sort(np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]]), 1)
    unique, counts = np.unique(edges, axis=0, return_counts=True)
    boundary = unique[counts == 1]
    # Connected components of the boundary edges by repeated label propagation.
    ids = np.unique(boundary)
    label = {int(v): int(v) for v in ids}
    changed = True
    while changed:
        changed = False
        for a, b in boundary.tolist():
            low = min(label[a], label[b])
            if label[a] != low or label[b] != low:
                label[a] = label[b] = low
                changed = True
    groups = {}
    for v in ids.tolist():
        groups.setdefault(label[v], []).append(v)
    return [np.asarray(g, dtype=np.int64) for _, g in sorted(groups.items())]


def cap_holes(faces: np.ndarray, num_vertices: int) -> Tuple[np.ndarray, List[np.ndarray]]:
    """Faces closing every hole of a mesh with a fan around a new centre vertex.

    With its holes capped a consistently wound mesh is closed, so back faces can be culled
    when rendering it from outside (``render_mesh(..., cull_backfaces=True)``).

    Args:
        faces: (F,3) int vertex indices, consistently wound.
        num_vertices: V; the centre of hole k gets vertex id ``V + k``.

    Returns:
        cap faces (C,3) int64 wound like their neighbours, and the hole loops (see
        :func:`boundary_loops`); place centre k at ``vertices[loops[k]].mean(0)``.
    """
    faces = np.asarray(faces, dtype=np.int64)
    loops = boundary_loops(faces)
    loop_of = {int(v): k for k, loop in enumerate(loops) for v in loop}
    directed = np.concatenate([faces[:, [0, 1]], faces[:, [1, 2]], faces[:, [2, 0]]])
    undirected = np.sort(directed, 1)
    _, inverse, counts = np.unique(undirected, axis=0, return_inverse=True, return_counts=True)
    caps = [(b, a, num_vertices + loop_of[a])
            for a, b in directed[counts[inverse.reshape(-1)] == 1].tolist()]
    return np.asarray(caps, dtype=np.int64).reshape(-1, 3), loops

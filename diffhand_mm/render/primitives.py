"""Simple closed meshes for tests and demos: an axis-aligned box and an icosphere."""
from typing import Sequence, Tuple

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

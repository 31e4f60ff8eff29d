"""Batched z-buffer rasterizer for triangle meshes on the CPU (numpy inside, torch outside).

Camera convention (docs/architecture.md, section 2): x right, y down, z forward; a point X in
the camera frame lands on pixel ``K @ X / Z``; pixel centres sit at integer coordinates, so the
pixel in row ``r`` and column ``c`` is sampled at ``(u, v) = (c, r)``.

How it works (a vectorised per-face bounding-box rasterizer):

1. project the vertices; drop faces with a vertex at ``z <= near`` (behind or too close to the
   camera), degenerate faces and faces whose bounding box misses the image;
2. test every pixel centre of each face's bounding box, padded to a square window whose side
   is taken from a short geometric ladder; faces with the same window are processed together
   (at most ``max_candidates`` pixels at once, so a few huge faces cannot exhaust memory);
3. keep the pixels whose screen-space barycentrics are all >= 0 (two-sided: both windings);
4. z-test: each kept pixel gets the int64 key ``(float32 bits of 1/z) << 32 | (2**32-1 - r)``
   where ``r`` is the face's rank among the kept faces (kept faces are in face-id order).
   The bit pattern of a positive float32 orders like the float, so a per-pixel maximum of the
   keys finds the nearest surface (largest 1/z) exactly; equal depths go to the lower face id,
   which makes the result deterministic.

Depth is perspective-correct: screen-space barycentrics ``l_i`` give ``1/z = sum l_i / z_i``,
and attributes are interpolated with the perspective-correct weights ``(l_i / z_i) * z``.

The inner loops use numpy: with torch 2.14 on the CPU, comparisons producing bool tensors and
broadcasts over short inner dimensions were 5-20x slower than numpy's on these sizes.
"""
from typing import NamedTuple, Tuple

import numpy as np
import torch

_NO_HIT = -1  # below every key: keys are >= 0 (positive 1/z bits, face field >= 0)
_FACE_MASK = 0xFFFFFFFF
# Window sides: roughly x1.5 steps, so padding wastes at most ~2.3x of a face's box area.
_WINDOWS = np.array([1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64, 96, 128, 192, 256])
# Barycentric tolerance: faces sharing an edge overlap by a hair instead of leaving float32
# rounding cracks between them; the z-test resolves the overlap.
_INSIDE_TOLERANCE = 1e-5


class Rasterized(NamedTuple):
    """Per-pixel result of :func:`rasterize`.

    Attributes:
        face_ids: (B,H,W) int64 index of the visible face, -1 on background.
        depth: (B,H,W) float32 camera-frame z of the visible surface in metres, 0 on background.
        bary: (B,H,W,3) float32 perspective-correct barycentric weights of the visible face's
            three vertices (sum to 1), 0 on background.
    """
    face_ids: torch.Tensor
    depth: torch.Tensor
    bary: torch.Tensor


class Fragments(NamedTuple):
    """The visible surface at the covered pixels only (P of them).

    Attributes:
        pixel: (P,) int64 flat index ``(b * H + row) * W + col``, increasing.
        batch_index: (P,) int64 batch element of each pixel.
        face: (P,) int64 visible face index.
        depth: (P,) float32 camera-frame z in metres.
        bary: (P,3) float32 perspective-correct barycentrics of the face's corners.
        shape: (B, H, W).
    """
    pixel: torch.Tensor
    batch_index: torch.Tensor
    face: torch.Tensor
    depth: torch.Tensor
    bary: torch.Tensor
    shape: Tuple[int, int, int]


def _barycentric_planes(u: np.ndarray, v: np.ndarray):
    """Screen-space barycentrics of each triangle as affine functions of the pixel centre.

    Args:
        u, v: (3,N) float64 projected corners (corner-major).

    Returns:
        (slope_x, slope_y, offset), each (3,N): barycentric ``l_i(u, v) = slope_x_i * u +
        slope_y_i * v + offset_i``; the three sum to 1 and are all >= 0 inside the triangle,
        whatever its winding. Degenerate triangles give inf/nan (callers drop them).
    """
    next_, last = [1, 2, 0], [2, 0, 1]
    uj, vj, uk, vk = u[next_], v[next_], u[last], v[last]
    # Twice the signed area of (corner i+1, corner i+2, p), the edge opposite corner i.
    slope_x = vj - vk
    slope_y = uk - uj
    offset = (vk - vj) * uj - (uk - uj) * vj
    area2 = slope_x[0] * u[0] + slope_y[0] * v[0] + offset[0]
    return slope_x / area2, slope_y / area2, offset / area2


def rasterize(vertices: torch.Tensor,
              faces: torch.Tensor,
              K: torch.Tensor,
              image_size: Tuple[int, int],
              near: float = 1e-3,
              max_candidates: int = 4_000_000,
              cull_backfaces: bool = False) -> Rasterized:
    """Rasterize a batch of meshes sharing one topology into dense images.

    Args:
        vertices: (B,V,3) camera-frame vertices in metres.
        faces: (F,3) int64 vertex indices.
        K: (B,3,3) intrinsics.
        image_size: (H, W) in pixels.
        near: faces with any vertex at ``z <= near`` metres are culled.
        max_candidates: most (face, pixel) pairs tested at once; bounds memory.
        cull_backfaces: skip faces seen from behind; only right for closed meshes (see
            :func:`~diffhand_mm.render.primitives.cap_holes`), about halves the work.

    Returns:
        :class:`Rasterized` with face ids, depth and perspective-correct barycentrics.
    """
    return fragments_to_images(
        rasterize_fragments(vertices, faces, K, image_size, near, max_candidates,
                            cull_backfaces))


def rasterize_fragments(vertices: torch.Tensor,
                        faces: torch.Tensor,
                        K: torch.Tensor,
                        image_size: Tuple[int, int],
                        near: float = 1e-3,
                        max_candidates: int = 4_000_000,
                        cull_backfaces: bool = False) -> Fragments:
    """Rasterize a batch of meshes sharing one topology; sparse output (covered pixels only).

    Args:
        vertices: (B,V,3) camera-frame vertices in metres (tensor or array).
        faces: (F,3) int vertex indices.
        K: (B,3,3) intrinsics.
        image_size: (H, W) in pixels.
        near: faces with any vertex at ``z <= near`` metres are culled.
        max_candidates: most (face, pixel) pairs tested at once; bounds memory.
        cull_backfaces: skip faces seen from behind; only right for closed meshes (see
            :func:`~diffhand_mm.render.primitives.cap_holes`), about halves the work.

    Returns:
        :class:`Fragments` of the covered pixels, in increasing flat pixel order.
    """
    verts, faces_np, K_np = (np.asarray(x.detach().cpu() if torch.is_tensor(x) else x)
                             for x in (vertices, faces, K))
    height, width = int(image_size[0]), int(image_size[1])
    pixel, global_face, depth, bary = rasterize_numpy(
        verts.astype(np.float64), faces_np.astype(np.int64), K_np.astype(np.float64),
        (height, width), near, max_candidates, cull_backfaces)
    num_faces = faces_np.shape[0]
    return Fragments(pixel=torch.from_numpy(pixel),
                     batch_index=torch.from_numpy(global_face // num_faces),
                     face=torch.from_numpy(global_face % num_faces),
                     depth=torch.from_numpy(depth), bary=torch.from_numpy(bary),
                     shape=(verts.shape[0], height, width))


def rasterize_numpy(verts: np.ndarray, faces_np: np.ndarray, K: np.ndarray,
                    image_size: Tuple[int, int], near: float = 1e-3,
                    max_candidates: int = 4_000_000, cull_backfaces: bool = False):
    """The numpy core of :func:`rasterize_fragments`.

    Args:
        verts: (B,V,3) float64 camera-frame vertices in metres.
        faces_np: (F,3) int64 vertex indices.
        K: (B,3,3) float64 intrinsics.
        image_size: (H, W).
        near: culling distance in metres.
        max_candidates: most (face, pixel) pairs tested at once.
        cull_backfaces: drop faces seen from behind (wound clockwise on screen when they are
            counter-clockwise seen from outside); only right for closed meshes.

    Returns:
        pixel (P,) int64 flat ``(b*H + row)*W + col`` (increasing), global_face (P,) int64
        ``b*F + f``, depth (P,) float32 metres, bary (P,3) float32 perspective-correct.
    """
    height, width = int(image_size[0]), int(image_size[1])
    batch, num_faces = verts.shape[0], faces_np.shape[0]
    if batch * num_faces >= 2**31:
        raise ValueError(f'rasterize: {batch} x {num_faces} faces do not fit the 32-bit '
                         'face field of the z-buffer keys; render fewer meshes at once')
    uvw = verts @ K.transpose(0, 2, 1)
    # Corner-major (3, B*F) arrays keep every per-face operation contiguous.
    corner_uvw = uvw[:, faces_np.T].transpose(1, 0, 2, 3).reshape(3, -1, 3)
    z = corner_uvw[..., 2]
    with np.errstate(divide='ignore', invalid='ignore'):
        u, v = corner_uvw[..., 0] / z, corner_uvw[..., 1] / z
        inv_z = 1.0 / verts[:, faces_np.T, 2].transpose(1, 0, 2).reshape(3, -1)
    u_min = np.minimum(np.minimum(u[0], u[1]), u[2])
    u_max = np.maximum(np.maximum(u[0], u[1]), u[2])
    v_min = np.minimum(np.minimum(v[0], v[1]), v[2])
    v_max = np.maximum(np.maximum(v[0], v[1]), v[2])
    area2 = (u[1] - u[0]) * (v[2] - v[0]) - (v[1] - v[0]) * (u[2] - u[0])
    # 0 < 1/z < 1/near rejects vertices behind the camera as well as too close to it.
    with np.errstate(invalid='ignore'):
        keep = ((inv_z > 0) & (inv_z < 1.0 / near)).all(0) & (np.abs(area2) > 1e-12)
        if cull_backfaces:
            # With y pointing down, faces counter-clockwise from outside have area2 < 0
            # on screen when they face the camera.
            keep &= area2 < 0
        keep &= (u_max >= 0) & (u_min <= width - 1) & (v_max >= 0) & (v_min <= height - 1)
    kept = np.flatnonzero(keep)
    box = np.stack([np.ceil(u_min[kept]).clip(min=0), np.ceil(v_min[kept]).clip(min=0),
                    np.floor(u_max[kept]).clip(max=width - 1),
                    np.floor(v_max[kept]).clip(max=height - 1)]).astype(np.int64)  # (4,N)
    nonempty = (box[2] >= box[0]) & (box[3] >= box[1])
    kept, box = kept[nonempty], box[:, nonempty]
    u, v, inv_z = u[:, kept], v[:, kept], inv_z[:, kept]
    sx, sy, off = _barycentric_planes(u, v)
    # 1/z is affine in screen space too: fold the three barycentric planes into a fourth.
    planes = np.stack([np.concatenate([sx, (sx * inv_z).sum(0, keepdims=True)]),
                       np.concatenate([sy, (sy * inv_z).sum(0, keepdims=True)]),
                       np.concatenate([off, (off * inv_z).sum(0, keepdims=True)])])  # (3,4,N)

    zbuffer = np.full(batch * height * width, _NO_HIT, dtype=np.int64)
    side = np.maximum(box[2] - box[0], box[3] - box[1]) + 1
    window_of = _WINDOWS[np.minimum(np.searchsorted(_WINDOWS, side), len(_WINDOWS) - 1)]
    window_of = np.where(side > _WINDOWS[-1], max(height, width), window_of)
    for window in np.unique(window_of):
        members = np.flatnonzero(window_of == window)
        step = max(1, max_candidates // int(window * window))
        for start in range(0, members.size, step):
            part = members[start:start + step]
            _rasterize_window(zbuffer, int(window), box[:, part], planes[..., part], part,
                              kept[part] // num_faces, height, width)
    return _resolve(zbuffer, planes, inv_z, kept, (height, width))


def _rasterize_window(zbuffer, window, box, planes, row_id, batch_id, height, width):
    """z-test every pixel of a ``window`` x ``window`` box at each face's top-left corner.

    Every per-pixel quantity is affine in the pixel (u, v), so it is built as (value along the
    top row) + (value down the left column) with one broadcast add; arrays are laid out
    (row, column, face) so that numpy's inner loops run over the long face axis.

    Args:
        zbuffer: (B*H*W,) int64 keys, updated in place.
        window: side S of the square pixel window.
        box: (4,N) int64 x0, y0, x1, y1 of each face's pixel box (inclusive).
        planes: (3,4,N) float64 slope_x, slope_y, offset of the 3 barycentrics and of 1/z.
        row_id: (N,) int64 position of each face among the kept faces (the key's face field).
        batch_id: (N,) int64 batch element of each face.
        height, width: H, W.
    """
    steps = np.arange(window)[:, None]
    cols = box[0] + steps                                                # (S,N)
    rows = box[1] + steps                                                # (S,N)
    # Values at each box's top-left pixel in float64, then small float32 increments: the
    # barycentrics stay accurate to ~1e-7 near the edges where the sign test matters.
    origin = planes[0] * box[0] + planes[1] * box[1] + planes[2]         # (4,N)
    fsteps = steps.astype(np.float32)
    along_row = origin.astype(np.float32)[:, None] + planes[0].astype(np.float32)[:, None] * fsteps
    down_col = planes[1].astype(np.float32)[:, None] * fsteps            # (4,S,N)
    # Pixels past the box (padding, or off the image) must fail the inside test.
    along_row[:3] = np.where(cols > box[2], -np.inf, along_row[:3])
    down_col[:3] = np.where(rows > box[3], -np.inf, down_col[:3])
    bary_min = along_row[0][None] + down_col[0][:, None]                 # (S,S,N)
    for corner in (1, 2):
        np.minimum(bary_min, along_row[corner][None] + down_col[corner][:, None], out=bary_min)
    inside = np.flatnonzero(bary_min >= -_INSIDE_TOLERANCE)
    if inside.size == 0:
        return
    num = box.shape[1]
    face = inside % num
    col = (inside // num) % window
    row = inside // (num * window)
    inv_z = along_row[3, col, face] + down_col[3, row, face]
    key = (inv_z.view(np.int32).astype(np.int64) << 32) | (_FACE_MASK - row_id[face])
    pixel = (batch_id[face] * height + rows[row, face]) * width + cols[col, face]
    np.maximum.at(zbuffer, pixel, key)


def _resolve(zbuffer, planes, corner_inv_z, kept, image_size):
    """Decode the z-buffer keys of the covered pixels into face ids, depth and barycentrics.

    Args:
        zbuffer: (B*H*W,) int64 keys.
        planes: (3,4,N) float64 planes of the kept faces.
        corner_inv_z: (3,N) float64 1/z of the kept faces' corners.
        kept: (N,) int64 sorted global face ids ``b * F + f`` of the kept faces.
        image_size: (H, W).

    Returns:
        pixel, global_face, depth, bary as documented in :func:`rasterize_numpy`.
    """
    height, width = image_size
    pixel = np.flatnonzero(zbuffer != _NO_HIT)
    row_of = _FACE_MASK - (zbuffer[pixel] & _FACE_MASK)
    global_face = kept[row_of]
    sx, sy, off = planes[:, :3, row_of]                                  # (3,P) each
    py = ((pixel // width) % height).astype(np.float64)
    px = (pixel % width).astype(np.float64)
    weighted = np.clip(sx * px + sy * py + off, 0.0, None) * corner_inv_z[:, row_of]
    depth = 1.0 / (weighted[0] + weighted[1] + weighted[2])
    return (pixel, global_face, depth.astype(np.float32),
            (weighted * depth).T.astype(np.float32))


def fragments_to_images(fragments: Fragments) -> Rasterized:
    """Scatter fragments into dense (B,H,W) images (-1 face id and 0 elsewhere)."""
    batch, height, width = fragments.shape
    num_pixels = batch * height * width
    face_ids = torch.full((num_pixels,), -1, dtype=torch.int64)
    depth = torch.zeros(num_pixels, dtype=torch.float32)
    bary = torch.zeros(num_pixels, 3, dtype=torch.float32)
    face_ids[fragments.pixel] = fragments.face
    depth[fragments.pixel] = fragments.depth
    bary[fragments.pixel] = fragments.bary
    return Rasterized(face_ids.view(batch, height, width), depth.view(batch, height, width),
                      bary.view(batch, height, width, 3))

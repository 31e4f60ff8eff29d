"""Shaded mesh rendering on the CPU: Lambertian + ambient light from interpolated normals.

Contract: docs/architecture.md, section 2. The renderer is for labels, demos and synthetic
data; it is not differentiable (numpy inside; torch tensors or numpy arrays in, torch out).
"""
import math
from dataclasses import dataclass
from typing import NamedTuple, Optional, Sequence, Tuple, Union

import numpy as np
import torch

from .rasterize import rasterize_numpy

ArrayLike = Union[torch.Tensor, np.ndarray]

DEFAULT_MESH_COLOR = (0.75, 0.75, 0.75)


class RenderOutput(NamedTuple):
    """Images produced by :func:`render_mesh` (torch tensors, CPU).

    Attributes:
        rgb: (B,H,W,3) float32 in [0,1], RGB order; 0 on background.
        mask: (B,H,W) bool, True where a face is visible.
        depth: (B,H,W) float32 camera-frame z in metres, 0 on background.
        face_ids: (B,H,W) int64 visible face index, -1 on background.
    """
    rgb: torch.Tensor
    mask: torch.Tensor
    depth: torch.Tensor
    face_ids: torch.Tensor


@dataclass
class DirectionalLight:
    """A directional light plus ambient term.

    Shaded colour = ``albedo * light_color * (ambient + diffuse * max(0, n . -direction))``,
    clipped to [0,1], with ``n`` the interpolated vertex normal turned towards the camera
    (meshes are two-sided: the hand mesh is open at the wrist).

    Attributes:
        direction: (3,) or (B,3) direction the light travels, camera frame (need not be unit).
            The default (0,0,1) is a headlight shining from the camera into the scene.
        ambient: ambient intensity, scalar or (B,).
        diffuse: diffuse intensity, scalar or (B,).
        color: (3,) or (B,3) RGB light colour in [0,1].
    """
    direction: ArrayLike = (0.0, 0.0, 1.0)
    ambient: Union[float, ArrayLike] = 0.35
    diffuse: Union[float, ArrayLike] = 0.65
    color: ArrayLike = (1.0, 1.0, 1.0)


def _as_numpy(x, name: str, dtype=np.float64) -> np.ndarray:
    if torch.is_tensor(x):
        x = x.detach().cpu().numpy()
    try:
        return np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise TypeError(f'render_mesh: {name} must be a tensor or array of numbers, '
                        f'got {type(x)}') from err


def _per_batch(value, batch: int, trailing: Tuple[int, ...], name: str) -> np.ndarray:
    """Broadcast a light parameter to (B, *trailing)."""
    arr = _as_numpy(value, f'light.{name}')
    arr = arr[None] if arr.ndim == len(trailing) else arr
    try:
        return np.broadcast_to(arr, (batch,) + trailing)
    except ValueError as err:
        raise ValueError(f'render_mesh: light.{name} of shape {arr.shape} does not broadcast '
                         f'to {(batch,) + trailing}') from err


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise dot product of (...,3) arrays (explicit: numpy's sum over a size-3 axis is slow)."""
    return a[..., 0] * b[..., 0] + a[..., 1] * b[..., 1] + a[..., 2] * b[..., 2]


def _normalize(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.sqrt(_dot(x, x)), 1e-12)[..., None]


def _interpolate(values: np.ndarray, corners: np.ndarray, bary: np.ndarray) -> np.ndarray:
    """Barycentric interpolation of per-vertex values.

    Args:
        values: (N,C) flattened per-vertex values.
        corners: (P,3) rows of ``values`` at each pixel's face corners.
        bary: (P,3) weights.

    Returns:
        (P,C) interpolated values.
    """
    return (values[corners[:, 0]] * bary[:, 0:1] + values[corners[:, 1]] * bary[:, 1:2]
            + values[corners[:, 2]] * bary[:, 2:3])


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cross product of (...,3) arrays, written out (np.cross is several times slower here)."""
    return np.stack([a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1],
                     a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2],
                     a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]], -1)


def _inverse_3x3(m: np.ndarray) -> np.ndarray:
    """Inverse of (B,3,3) matrices by cofactors (np.linalg.inv costs ~100x more at this size)."""
    cof = _cross(m[:, [1, 2, 0]], m[:, [2, 0, 1]])                    # rows: adjugate^T
    det = _dot(m[:, 0], cof[:, 0])
    if (np.abs(det) < 1e-12).any():
        raise ValueError('render_mesh: K is singular')
    return cof.transpose(0, 2, 1) / det[:, None, None]


def vertex_normals(vertices: ArrayLike, faces: ArrayLike) -> np.ndarray:
    """Area-weighted unit vertex normals.

    Args:
        vertices: (B,V,3) positions.
        faces: (F,3) int indices.

    Returns:
        (B,V,3) float64 unit normals (zero for vertices used by no face). Their side follows
        the winding: faces counter-clockwise seen from outside (right-handed) point outwards.
    """
    verts = _as_numpy(vertices, 'vertices')
    faces_np = _as_numpy(faces, 'faces', np.int64)
    batch, num_verts = verts.shape[:2]
    p0, p1, p2 = (verts[:, faces_np[:, k]] for k in range(3))          # (B,F,3) each
    face_n = _cross(p1 - p0, p2 - p0)
    # Sum each face normal into its three corners; bincount is numpy's fast scatter-add.
    offsets = (np.arange(batch) * num_verts)[:, None]
    index = np.concatenate([(faces_np[:, k] + offsets).reshape(-1) for k in range(3)])
    weights = np.tile(face_n.reshape(-1, 3), (3, 1))
    normals = np.stack([np.bincount(index, weights[:, k], minlength=batch * num_verts)
                        for k in range(3)], -1)
    return _normalize(normals.reshape(batch, num_verts, 3))


def _check_inputs(verts, faces, K, image_size):
    if verts.ndim != 3 or verts.shape[-1] != 3:
        raise ValueError(f'render_mesh: vertices must be (B,V,3) or (V,3), got {verts.shape}')
    if faces.ndim != 2 or faces.shape[-1] != 3:
        raise ValueError(f'render_mesh: faces must be (F,3), got {faces.shape}')
    if faces.size and (faces.min() < 0 or faces.max() >= verts.shape[1]):
        raise ValueError(f'render_mesh: face indices must lie in [0, {verts.shape[1]}), '
                         f'got [{faces.min()}, {faces.max()}]')
    if K.shape != (verts.shape[0], 3, 3):
        raise ValueError(f'render_mesh: K must be (B,3,3) or (3,3) with B={verts.shape[0]}, '
                         f'got {K.shape}')
    if len(image_size) != 2 or min(image_size) <= 0:
        raise ValueError(f'render_mesh: image_size must be (H, W) > 0, got {image_size}')


def render_mesh(vertices: ArrayLike,
                faces: ArrayLike,
                K: ArrayLike,
                image_size: Sequence[int],
                vertex_colors: Optional[ArrayLike] = None,
                light: Optional[DirectionalLight] = None,
                near: float = 1e-3,
                cull_backfaces: bool = False) -> RenderOutput:
    """Render meshes with a z-buffer and Lambertian + ambient shading.

    Args:
        vertices: (B,V,3) or (V,3) camera-frame vertices in metres (x right, y down, z forward);
            torch tensor or numpy array.
        faces: (F,3) int vertex indices shared by the batch.
        K: (B,3,3) or (3,3) intrinsics; pixel = K @ X / Z with pixel centres at integers.
        image_size: (H, W) in pixels.
        vertex_colors: (B,V,3) or (V,3) albedo in [0,1]; default a light grey.
        light: lighting; default :class:`DirectionalLight` () (headlight).
        near: faces with a vertex at ``z <= near`` metres are culled (behind the camera).
        cull_backfaces: also cull faces seen from behind (faces must be wound counter-clockwise
            seen from outside). Only right for closed meshes: cap open ones first with
            :func:`~diffhand_mm.render.primitives.cap_holes`. About halves the work.

    Returns:
        :class:`RenderOutput` (torch tensors) with rgb, mask, depth and face ids, batch
        dimension included.
    """
    verts = _as_numpy(vertices, 'vertices')
    verts = verts[None] if verts.ndim == 2 else verts
    faces_np = _as_numpy(faces, 'faces', np.int64)
    K_np = _as_numpy(K, 'K')
    K_np = np.broadcast_to(K_np, (verts.shape[0], 3, 3)) if K_np.shape == (3, 3) else K_np
    _check_inputs(verts, faces_np, K_np, image_size)
    batch, num_verts = verts.shape[:2]
    height, width = int(image_size[0]), int(image_size[1])
    light = light or DirectionalLight()

    pixel, global_face, depth, bary = rasterize_numpy(verts, faces_np, K_np, (height, width),
                                                      near, cull_backfaces=cull_backfaces)
    b = pixel // (height * width)
    corners = faces_np[global_face % faces_np.shape[0]] + (b * num_verts)[:, None]  # (P,3)
    if vertex_colors is None:
        per_vertex = vertex_normals(verts, faces_np).reshape(-1, 3)
    else:
        colors = _as_numpy(vertex_colors, 'vertex_colors')
        colors = np.broadcast_to(colors, (batch,) + colors.shape) if colors.ndim == 2 else colors
        if colors.shape != (batch, num_verts, 3):
            raise ValueError(f'render_mesh: vertex_colors must be (B,V,3) or (V,3) with '
                             f'B={batch}, V={num_verts}, got {colors.shape}')
        # One gather for normals and colours together.
        per_vertex = np.concatenate([vertex_normals(verts, faces_np), colors], -1).reshape(-1, 6)
    interpolated = _interpolate(per_vertex, corners, bary.astype(np.float64))
    normal = _normalize(interpolated[:, :3])
    albedo = np.asarray(DEFAULT_MESH_COLOR)[None] if vertex_colors is None else interpolated[:, 3:]
    # Two-sided: normals are turned towards the camera (the ray to pixel p is K^-1 p).
    pix = np.stack([pixel % width, (pixel // width) % height, np.ones_like(pixel)], -1)
    K_inv = _inverse_3x3(K_np)
    direction = _normalize(_per_batch(light.direction, batch, (3,), 'direction'))
    ambient = _per_batch(light.ambient, batch, (), 'ambient')
    diffuse = _per_batch(light.diffuse, batch, (), 'diffuse')
    color = _per_batch(light.color, batch, (3,), 'color')
    shaded = np.empty((pixel.size, 3))
    # Pixels are sorted by batch element: shade each element's slice with its own camera
    # and light (cheaper than gathering per-pixel copies of them).
    bounds = np.searchsorted(b, np.arange(batch + 1))
    for i in range(batch):
        part = slice(bounds[i], bounds[i + 1])
        n = normal[part]
        n *= np.where(_dot(n, pix[part] @ K_inv[i].T) > 0, -1.0, 1.0)[:, None]
        lambert = np.clip(-_dot(n, direction[i]), 0.0, None)
        albedo_i = albedo if albedo.shape[0] == 1 else albedo[part]
        shaded[part] = albedo_i * color[i] * (ambient[i] + diffuse[i] * lambert)[:, None]

    num_pixels = batch * height * width
    rgb = np.zeros((num_pixels, 3), dtype=np.float32)
    rgb[pixel] = np.clip(shaded, 0.0, 1.0)
    depth_img = np.zeros(num_pixels, dtype=np.float32)
    depth_img[pixel] = depth
    face_ids = np.full(num_pixels, -1, dtype=np.int64)
    face_ids[pixel] = global_face % faces_np.shape[0]
    shape = (batch, height, width)
    return RenderOutput(rgb=torch.from_numpy(rgb.reshape(shape + (3,))),
                        mask=torch.from_numpy(face_ids.reshape(shape) >= 0),
                        depth=torch.from_numpy(depth_img.reshape(shape)),
                        face_ids=torch.from_numpy(face_ids.reshape(shape)))


def rotate_about_centroid(vertices: ArrayLike, angle_deg: float) -> np.ndarray:
    """Rotate meshes about the camera y axis through each mesh's vertex centroid.

    Args:
        vertices: (B,V,3) camera-frame vertices in metres.
        angle_deg: rotation angle in degrees (right-handed about +y, which points down).

    Returns:
        (B,V,3) float64 rotated vertices; the centroid stays where it was.
    """
    verts = _as_numpy(vertices, 'vertices')
    a = math.radians(angle_deg)
    rot = np.array([[math.cos(a), 0.0, math.sin(a)],
                    [0.0, 1.0, 0.0],
                    [-math.sin(a), 0.0, math.cos(a)]])
    centroid = verts.mean(1, keepdims=True)
    return (verts - centroid) @ rot.T + centroid


def render_side_view(vertices: ArrayLike,
                     faces: ArrayLike,
                     K: ArrayLike,
                     image_size: Sequence[int],
                     angle_deg: float = 90.0,
                     **render_kwargs) -> RenderOutput:
    """Render the mesh as seen from the side, for demos.

    The mesh is rotated by ``angle_deg`` about the y axis around its centroid and rendered by
    the same virtual camera ``K`` (equivalent to a camera orbiting the centroid).

    Args:
        vertices: (B,V,3) or (V,3) camera-frame vertices in metres.
        faces: (F,3) vertex indices.
        K: (B,3,3) or (3,3) intrinsics of the virtual camera.
        image_size: (H, W).
        angle_deg: rotation about y in degrees.
        **render_kwargs: passed on to :func:`render_mesh` (vertex_colors, light, near).

    Returns:
        :class:`RenderOutput` of the rotated mesh.
    """
    verts = _as_numpy(vertices, 'vertices')
    verts = verts[None] if verts.ndim == 2 else verts
    return render_mesh(rotate_about_centroid(verts, angle_deg), faces, K, image_size,
                       **render_kwargs)

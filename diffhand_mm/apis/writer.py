"""Writing the inferencer's results: meshes, JSON, overlay pictures, side views, videos.

Layout under ``out_dir`` for a picture ``img.jpg`` with hands 0..N-1:
``img_hand0.obj`` (or ``.ply``), ``img_hand0.json``, ``img_overlay.jpg``, ``img_side.jpg``.
For a video ``clip.mp4``: ``clip/clip_000012_hand0.obj`` / ``.json`` per frame and one
``clip_overlay.mp4`` (MPEG-4 part 2, ``mp4v``) at the source's frame rate.
"""
import contextlib
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from diffhand_mm.render import overlay_mesh, render_mesh, rotate_about_centroid
from diffhand_mm.utils.atomic_io import atomic_open, atomic_write_bytes, partial_path
from .inferencer import FrameResult, HandPrediction
from .inputs import video_fps

#: Uncertainty (metres) drawn at the hot end of the colour map by default.
DEFAULT_UNCERTAINTY_RANGE = 0.02


def oriented_faces(faces: np.ndarray, hand_side: str) -> np.ndarray:
    """Faces of a right-hand template, wound outwards for ``hand_side``.

    A left hand is the mirror image (X -> -X) of a right-hand mesh, and a mirror turns the
    winding inside out; swapping two corners turns it back.
    """
    return faces[:, [0, 2, 1]] if hand_side == 'left' else faces


def write_obj(path: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    """Wavefront OBJ: ``v x y z`` in metres, ``f i j k`` 1-based (written atomically)."""
    with atomic_open(path, 'w') as f:
        f.write('# diffhand_mm hand mesh, metres, camera frame (x right, y down, z forward)\n')
        # One format call per block: a Python loop over the lines costs more than the render.
        f.write(('v %.6f %.6f %.6f\n' * len(vertices)) % tuple(np.ravel(vertices)))
        f.write(('f %d %d %d\n' * len(faces)) % tuple(np.ravel(faces) + 1))


def write_ply(path: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    """ASCII PLY with float vertices (metres) and triangle faces (written atomically)."""
    header = ['ply', 'format ascii 1.0', 'comment diffhand_mm hand mesh, metres, camera frame',
              f'element vertex {len(vertices)}', 'property float x', 'property float y',
              'property float z', f'element face {len(faces)}',
              'property list uchar int vertex_indices', 'end_header']
    with atomic_open(path, 'w') as f:
        f.write('\n'.join(header) + '\n')
        f.write(('%.6f %.6f %.6f\n' * len(vertices)) % tuple(np.ravel(vertices)))
        f.write(('3 %d %d %d\n' * len(faces)) % tuple(np.ravel(faces)))


def uncertainty_colors(uncertainty: np.ndarray,
                       value_range: float = DEFAULT_UNCERTAINTY_RANGE) -> np.ndarray:
    """Per-vertex colours (V, 3) RGB in [0, 1]: OpenCV's JET map, blue at 0 m, red at
    ``value_range`` metres and above (a fixed scale, so pictures can be compared)."""
    levels = np.clip(np.asarray(uncertainty) / value_range, 0.0, 1.0)
    bgr = cv2.applyColorMap(np.round(levels * 255).astype(np.uint8)[:, None], cv2.COLORMAP_JET)
    return bgr[:, 0, ::-1].astype(np.float32) / 255.0


def _combined_mesh(hands: Sequence[HandPrediction], faces: np.ndarray,
                   vertices: Sequence[np.ndarray], uncertainty_range: float
                   ) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
    """All hands of a frame as one mesh, so the z-buffer sorts hands against each other."""
    offsets = np.cumsum([0] + [len(v) for v in vertices[:-1]])
    all_faces = np.concatenate([faces + o for o in offsets])
    colors = None
    if all(h.vertex_uncertainty is not None for h in hands):
        colors = np.concatenate([uncertainty_colors(h.vertex_uncertainty, uncertainty_range)
                                 for h in hands])
    return np.concatenate(vertices), all_faces, colors


def _hand_window(vertices: np.ndarray, K: np.ndarray, image_size: Tuple[int, int],
                 near: float = 1e-3) -> Tuple[int, int, int, int]:
    """Integer pixel window (x0, y0, x1, y1), end exclusive, holding every pixel centre the
    projected mesh can cover, clipped to the image; the whole image if a vertex is behind
    the camera (its projection is meaningless)."""
    height, width = image_size
    if (vertices[:, 2] <= near).any():
        return 0, 0, width, height
    pixels = vertices @ K.T.astype(vertices.dtype)
    pixels = pixels[:, :2] / pixels[:, 2:]
    x0, y0 = np.floor(pixels.min(0)).astype(int)
    x1, y1 = np.ceil(pixels.max(0)).astype(int) + 1
    return max(x0, 0), max(y0, 0), min(max(x1, 0), width), min(max(y1, 0), height)


def draw_mesh(canvas: np.ndarray, vertices: np.ndarray, faces: np.ndarray, K: np.ndarray,
               colors: Optional[np.ndarray], alpha: float) -> np.ndarray:
    """Render the mesh with the project's renderer and blend it onto ``canvas`` in place.

    Only the window around the projected mesh is rendered: the intrinsics are shifted by the
    window's integer offset, so every pixel is exactly what a full-image render gives, at a
    fraction of the cost (rasterising and blending scale with the pixels touched).

    Returns:
        (H, W) bool mask of the mesh pixels.
    """
    x0, y0, x1, y1 = _hand_window(vertices, K, canvas.shape[:2])
    mask = np.zeros(canvas.shape[:2], bool)
    if x1 <= x0 or y1 <= y0:
        return mask
    shift = np.array([[1.0, 0.0, -x0], [0.0, 1.0, -y0], [0.0, 0.0, 1.0]], np.float32)
    rendered = render_mesh(vertices[None], faces, (shift @ K)[None], (y1 - y0, x1 - x0),
                           vertex_colors=None if colors is None else colors[None])
    window = canvas[y0:y1, x0:x1]
    window[...] = overlay_mesh(np.ascontiguousarray(window), rendered, alpha=alpha)
    mask[y0:y1, x0:x1] = rendered.mask[0].numpy()
    return mask


def render_hands(image: np.ndarray, hands: Sequence[HandPrediction], faces: np.ndarray,
                 uncertainty_range: float = DEFAULT_UNCERTAINTY_RANGE,
                 alpha: float = 0.8) -> Tuple[np.ndarray, np.ndarray]:
    """Draw the predicted meshes on the image with its intrinsics.

    Args:
        image: (H, W, 3) uint8 BGR, the original frame.
        hands: Predictions of this frame (camera-frame vertices, shared K).
        faces: (F, 3) template faces.
        uncertainty_range: Metres at the hot end of the heat map (hands with uncertainty).
        alpha: Mesh opacity.

    Returns:
        tuple: the overlay (H, W, 3) uint8 BGR and the mesh mask (H, W) bool.
    """
    vertices, all_faces, colors = _combined_mesh(hands, faces, [h.vertices for h in hands],
                                                 uncertainty_range)
    overlay = image.copy()
    mask = draw_mesh(overlay, vertices, all_faces, hands[0].K, colors, alpha)
    if colors is not None:
        cv2.putText(overlay, f'uncertainty 0-{uncertainty_range * 1000:.0f} mm', (4, 14),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return overlay, mask


def render_side_views(image_size: Tuple[int, int], hands: Sequence[HandPrediction],
                      faces: np.ndarray, angle_deg: float = 90.0,
                      uncertainty_range: float = DEFAULT_UNCERTAINTY_RANGE) -> np.ndarray:
    """Each hand turned by ``angle_deg`` about the camera's y axis through its own centroid,
    drawn by the same camera on a dark background: (H, W, 3) uint8 BGR."""
    turned = [rotate_about_centroid(h.vertices[None], angle_deg)[0] for h in hands]
    vertices, all_faces, colors = _combined_mesh(hands, faces, turned, uncertainty_range)
    canvas = np.full(tuple(image_size) + (3,), 32, np.uint8)
    draw_mesh(canvas, vertices, all_faces, hands[0].K, colors, alpha=1.0)
    return canvas


class MeshWriter:
    """Writes what :class:`~diffhand_mm.apis.MeshInferencer` predicts (see the module doc).

    Every file appears complete or not at all (written under a hidden partial name, then
    renamed), overlay videos included (renamed when :meth:`close` finishes them). The output
    folder is created with the first file, so a run that writes nothing leaves none behind.

    Args:
        out_dir: Output folder (created when the first file is written).
        faces: (F, 3) template faces (``inferencer.faces``).
        mesh_format: 'obj', 'ply' or None (no mesh files).
        save_json: Write the per-hand JSON (vertices, joints, joints_2d, K, box...).
        save_overlay: Draw the meshes on the image (pictures; a video for video input).
        save_side_view: Render a side view per picture (not for videos).
        uncertainty_range: Metres at the hot end of the uncertainty heat map.
    """

    def __init__(self, out_dir: str, faces: np.ndarray, mesh_format: Optional[str] = 'obj',
                 save_json: bool = True, save_overlay: bool = True, save_side_view: bool = True,
                 uncertainty_range: float = DEFAULT_UNCERTAINTY_RANGE) -> None:
        if mesh_format not in ('obj', 'ply', None):
            raise ValueError(f"MeshWriter: mesh_format must be 'obj', 'ply' or None, got "
                             f'{mesh_format!r}.')
        self.out_dir = out_dir
        self.faces = np.asarray(faces, dtype=np.int64)
        self.mesh_format = mesh_format
        self.save_json = save_json
        self.save_overlay = save_overlay
        self.save_side_view = save_side_view
        self.uncertainty_range = uncertainty_range
        self.written: List[str] = []
        self._videos: Dict[str, Tuple[cv2.VideoWriter, str, str]] = {}  # writer, partial, path

    def write(self, image: np.ndarray, result: FrameResult) -> None:
        """Write the files of one frame (``image``: (H, W, 3) uint8 BGR, the original)."""
        folder = self.out_dir
        if result.video is not None:
            folder = osp.join(self.out_dir, osp.splitext(osp.basename(result.video))[0])
        for hand in result.hands:
            stem = osp.join(folder, f'{result.frame}_hand{hand.hand_index}')
            if self.mesh_format is not None:
                path = f'{stem}.{self.mesh_format}'
                (write_obj if self.mesh_format == 'obj' else write_ply)(
                    path, hand.vertices, oriented_faces(self.faces, hand.hand_side))
                self.written.append(path)
            if self.save_json:
                with atomic_open(f'{stem}.json', 'w') as f:
                    json.dump(hand.to_dict(), f)
                self.written.append(f'{stem}.json')
        if not result.hands:
            return
        if self.save_overlay:
            overlay, _ = render_hands(image, result.hands, self.faces, self.uncertainty_range)
            if result.video is not None:
                self._video_writer(result.video, image.shape[:2]).write(overlay)
            else:
                self._imwrite(osp.join(folder, f'{result.frame}_overlay.jpg'), overlay)
        if self.save_side_view and result.video is None:
            side = render_side_views(image.shape[:2], result.hands, self.faces,
                                     uncertainty_range=self.uncertainty_range)
            self._imwrite(osp.join(folder, f'{result.frame}_side.jpg'), side)

    def close(self) -> None:
        """Finish the overlay videos (each appears under its name only now)."""
        for writer, partial, path in self._videos.values():
            writer.release()
            os.replace(partial, path)
            self.written.append(path)
        self._videos.clear()

    def discard_video(self, video: str) -> None:
        """Drop the unfinished overlay video of ``video`` (its source failed midway)."""
        entry = self._videos.pop(video, None)
        if entry is not None:
            entry[0].release()
            with contextlib.suppress(FileNotFoundError):
                os.remove(entry[1])

    def abort(self) -> None:
        """Drop every unfinished overlay video (the run stopped on an error); the files
        already written are complete and stay."""
        for video in list(self._videos):
            self.discard_video(video)

    def _imwrite(self, path: str, image: np.ndarray) -> None:
        ok, encoded = cv2.imencode(osp.splitext(path)[1], image)
        if not ok:
            raise IOError(f'Cannot encode image: {path}')
        atomic_write_bytes(path, encoded.tobytes())
        self.written.append(path)

    def _video_writer(self, video: str, image_size: Tuple[int, int]) -> cv2.VideoWriter:
        if video not in self._videos:
            path = osp.join(self.out_dir,
                            f'{osp.splitext(osp.basename(video))[0]}_overlay.mp4')
            partial = partial_path(path)
            os.makedirs(self.out_dir, exist_ok=True)
            height, width = image_size
            writer = cv2.VideoWriter(partial, cv2.VideoWriter_fourcc(*'mp4v'), video_fps(video),
                                     (width, height))
            if not writer.isOpened():
                raise IOError(f'Cannot open a video writer (mp4v) for: {path}')
            self._videos[video] = (writer, partial, path)
        return self._videos[video][0]

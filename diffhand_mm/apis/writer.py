"""Writing the inferencer's results: meshes, JSON, overlay pictures, side views, videos.

Layout under ``out_dir`` for a picture ``img.jpg`` with hands 0..N-1:
``img_hand0.obj`` (or ``.ply``), ``img_hand0.json``, ``img_overlay.jpg``, ``img_side.jpg``.
For a video ``clip.mp4``: ``clip/clip_000012_hand0.obj`` / ``.json`` per frame and one
``clip_overlay.mp4`` (MPEG-4 part 2, ``mp4v``) at the source's frame rate.
"""
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

from diffhand_mm.render import RenderOutput, overlay_mesh, render_mesh, rotate_about_centroid
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
    """Wavefront OBJ: ``v x y z`` in metres, ``f i j k`` 1-based."""
    with open(path, 'w') as f:
        f.write('# diffhand_mm hand mesh, metres, camera frame (x right, y down, z forward)\n')
        f.writelines(f'v {x:.6f} {y:.6f} {z:.6f}\n' for x, y, z in vertices)
        f.writelines(f'f {a + 1} {b + 1} {c + 1}\n' for a, b, c in faces)


def write_ply(path: str, vertices: np.ndarray, faces: np.ndarray) -> None:
    """ASCII PLY with float vertices (metres) and triangle faces."""
    header = ['ply', 'format ascii 1.0', 'comment diffhand_mm hand mesh, metres, camera frame',
              f'element vertex {len(vertices)}', 'property float x', 'property float y',
              'property float z', f'element face {len(faces)}',
              'property list uchar int vertex_indices', 'end_header']
    with open(path, 'w') as f:
        f.write('\n'.join(header) + '\n')
        f.writelines(f'{x:.6f} {y:.6f} {z:.6f}\n' for x, y, z in vertices)
        f.writelines(f'3 {a} {b} {c}\n' for a, b, c in faces)


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


def render_hands(image: np.ndarray, hands: Sequence[HandPrediction], faces: np.ndarray,
                 uncertainty_range: float = DEFAULT_UNCERTAINTY_RANGE,
                 alpha: float = 0.8) -> Tuple[np.ndarray, RenderOutput]:
    """Draw the predicted meshes on the image with its intrinsics.

    Args:
        image: (H, W, 3) uint8 BGR, the original frame.
        hands: Predictions of this frame (camera-frame vertices, shared K).
        faces: (F, 3) template faces.
        uncertainty_range: Metres at the hot end of the heat map (hands with uncertainty).
        alpha: Mesh opacity.

    Returns:
        tuple: the overlay (H, W, 3) uint8 BGR and the :class:`RenderOutput` (batch 1).
    """
    vertices, all_faces, colors = _combined_mesh(hands, faces, [h.vertices for h in hands],
                                                 uncertainty_range)
    rendered = render_mesh(vertices[None], all_faces, hands[0].K[None], image.shape[:2],
                           vertex_colors=None if colors is None else colors[None])
    overlay = overlay_mesh(image, rendered, alpha=alpha)
    if colors is not None:
        cv2.putText(overlay, f'uncertainty 0-{uncertainty_range * 1000:.0f} mm', (4, 14),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.4, (255, 255, 255), 1, cv2.LINE_AA)
    return overlay, rendered


def render_side_views(image_size: Tuple[int, int], hands: Sequence[HandPrediction],
                      faces: np.ndarray, angle_deg: float = 90.0,
                      uncertainty_range: float = DEFAULT_UNCERTAINTY_RANGE) -> np.ndarray:
    """Each hand turned by ``angle_deg`` about the camera's y axis through its own centroid,
    drawn by the same camera on a dark background: (H, W, 3) uint8 BGR."""
    turned = [rotate_about_centroid(h.vertices[None], angle_deg)[0] for h in hands]
    vertices, all_faces, colors = _combined_mesh(hands, faces, turned, uncertainty_range)
    background = np.full(tuple(image_size) + (3,), 32, np.uint8)
    rendered = render_mesh(vertices[None], all_faces, hands[0].K[None], image_size,
                           vertex_colors=None if colors is None else colors[None])
    return overlay_mesh(background, rendered, alpha=1.0)


class MeshWriter:
    """Writes what :class:`~diffhand_mm.apis.MeshInferencer` predicts (see the module doc).

    Args:
        out_dir: Output folder (created).
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
        self._videos: Dict[str, cv2.VideoWriter] = {}
        os.makedirs(out_dir, exist_ok=True)

    def write(self, image: np.ndarray, result: FrameResult) -> None:
        """Write the files of one frame (``image``: (H, W, 3) uint8 BGR, the original)."""
        folder = self.out_dir
        if result.video is not None:
            folder = osp.join(self.out_dir, osp.splitext(osp.basename(result.video))[0])
            os.makedirs(folder, exist_ok=True)
        for hand in result.hands:
            stem = osp.join(folder, f'{result.frame}_hand{hand.hand_index}')
            if self.mesh_format is not None:
                path = f'{stem}.{self.mesh_format}'
                (write_obj if self.mesh_format == 'obj' else write_ply)(
                    path, hand.vertices, oriented_faces(self.faces, hand.hand_side))
                self.written.append(path)
            if self.save_json:
                with open(f'{stem}.json', 'w') as f:
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
        """Finish the overlay videos."""
        for writer in self._videos.values():
            writer.release()
        self._videos.clear()

    def _imwrite(self, path: str, image: np.ndarray) -> None:
        if not cv2.imwrite(path, image):
            raise IOError(f'Cannot write image: {path}')
        self.written.append(path)

    def _video_writer(self, video: str, image_size: Tuple[int, int]) -> cv2.VideoWriter:
        if video not in self._videos:
            path = osp.join(self.out_dir,
                            f'{osp.splitext(osp.basename(video))[0]}_overlay.mp4')
            height, width = image_size
            writer = cv2.VideoWriter(path, cv2.VideoWriter_fourcc(*'mp4v'), video_fps(video),
                                     (width, height))
            if not writer.isOpened():
                raise IOError(f'Cannot open a video writer (mp4v) for: {path}')
            self._videos[video] = writer
            self.written.append(path)
        return self._videos[video]

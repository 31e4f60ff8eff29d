"""MeshVisualizer: predicted hand meshes, keypoints and boxes drawn on the original image."""
from typing import Optional, Sequence, Union

import cv2
import mmcv
import numpy as np
from mmengine.visualization import Visualizer
from torch import nn

from diffhand_mm.registry import MODELS, VISUALIZERS

#: Bones of the 21 joints in OpenPose / FreiHAND order (wrist, then 4 joints per finger).
HAND_SKELETON = tuple((0 if j % 4 == 1 else j - 1, j) for j in range(1, 21))


def _numpy(value) -> np.ndarray:
    return value.detach().cpu().numpy() if hasattr(value, 'detach') else np.asarray(value)


@VISUALIZERS.register_module()
class MeshVisualizer(Visualizer):
    """Draws ``pred_instances`` (and optionally ``gt_instances``) of a ``PoseDataSample`` on the
    original image: the predicted mesh rendered with the original intrinsics (``ori_K``), the
    21 keypoints with their bones, and the boxes.

    It has the interface of MMPose's ``PoseLocalVisualizer`` that hooks call
    (``set_dataset_meta``, ``add_datasample`` with MMPose's arguments); our
    :class:`~diffhand_mm.visualization.MeshVisualizationHook` drives it.

    Args:
        name, image, vis_backends, save_dir: as MMEngine's ``Visualizer``.
        hand_model: Config (or module) of the hand model whose ``faces`` the predicted vertices
            use; built on first use. None, or predictions with another vertex count (e.g.
            keypoints only), draw no mesh.
        alpha: Mesh opacity.
        radius, line_width: Keypoint and bone sizes in pixels.
        pred_color, gt_color: RGB colours of the predicted and ground-truth keypoints / boxes.
    """

    def __init__(self, name: str = 'visualizer', image: Optional[np.ndarray] = None,
                 vis_backends: Optional[Sequence[dict]] = None, save_dir: Optional[str] = None,
                 hand_model: Union[dict, nn.Module, None] = dict(type='OpenHandModel'),
                 alpha: float = 0.8, radius: int = 2, line_width: int = 1,
                 pred_color: Sequence[int] = (255, 128, 0),
                 gt_color: Sequence[int] = (0, 200, 0)) -> None:
        super().__init__(name=name, image=image, vis_backends=vis_backends, save_dir=save_dir)
        self.hand_model_cfg = hand_model
        self._faces = None
        self.alpha = alpha
        self.radius = radius
        self.line_width = line_width
        self.pred_color = tuple(int(c) for c in pred_color)
        self.gt_color = tuple(int(c) for c in gt_color)
        self.dataset_meta = {}

    def set_dataset_meta(self, dataset_meta: Optional[dict]) -> None:
        """Keep the dataset's meta information (MMPose's visualiser interface)."""
        self.dataset_meta = dict(dataset_meta or {})

    def faces_for(self, num_vertices: int) -> Optional[np.ndarray]:
        """Faces (F,3) of the configured hand model when it has ``num_vertices`` vertices."""
        if self.hand_model_cfg is None:
            return None
        if self._faces is None:
            hand = self.hand_model_cfg if isinstance(self.hand_model_cfg, nn.Module) else \
                MODELS.build(self.hand_model_cfg)
            self._faces = (_numpy(hand.faces).astype(np.int64), int(hand.v_template.shape[0]))
        faces, hand_vertices = self._faces
        return faces if hand_vertices == num_vertices else None

    def _draw_keypoints(self, canvas: np.ndarray, keypoints: np.ndarray, color) -> None:
        points = [tuple(int(round(v)) for v in p) for p in keypoints]
        if len(points) == 21:
            for a, b in HAND_SKELETON:
                cv2.line(canvas, points[a], points[b], color, self.line_width, cv2.LINE_AA)
        for point in points:
            cv2.circle(canvas, point, self.radius, color, -1, cv2.LINE_AA)

    def _draw_box(self, canvas: np.ndarray, box: np.ndarray, color) -> None:
        x1, y1, x2, y2 = (int(round(v)) for v in box)
        cv2.rectangle(canvas, (x1, y1), (x2, y2), color, self.line_width)

    def draw_sample(self, image: np.ndarray, data_sample, draw_gt: bool = True,
                    draw_pred: bool = True, draw_bbox: bool = False) -> np.ndarray:
        """The drawing (H,W,3) uint8 RGB of one sample on its original image (RGB uint8)."""
        from diffhand_mm.apis.writer import draw_mesh, oriented_faces
        canvas = np.ascontiguousarray(image.copy())
        meta = data_sample.metainfo
        gt = data_sample.get('gt_instances')
        if draw_gt and gt is not None and 'keypoints' in gt:
            self._draw_keypoints(canvas, _numpy(gt.keypoints)[0], self.gt_color)
            if draw_bbox and 'bboxes' in gt:
                self._draw_box(canvas, _numpy(gt.bboxes)[0], self.gt_color)
        pred = data_sample.get('pred_instances')
        if draw_pred and pred is not None:
            vertices = _numpy(pred.vertices)[0] if 'vertices' in pred else None
            faces = None if vertices is None else self.faces_for(len(vertices))
            if faces is not None and meta.get('ori_K') is not None:
                side = meta.get('hand_side', 'right')
                if meta.get('flipped', False):  # the prediction was mirrored back
                    side = {'left': 'right', 'right': 'left'}[side]
                bgr = np.ascontiguousarray(canvas[..., ::-1])
                draw_mesh(bgr, vertices.astype(np.float32), oriented_faces(faces, side),
                          np.asarray(meta['ori_K'], np.float32), None, self.alpha)
                canvas = np.ascontiguousarray(bgr[..., ::-1])
            if 'keypoints' in pred:
                self._draw_keypoints(canvas, _numpy(pred.keypoints)[0], self.pred_color)
            if draw_bbox and 'bboxes' in pred:
                self._draw_box(canvas, _numpy(pred.bboxes)[0], self.pred_color)
        return canvas

    def add_datasample(self, name: str, image: np.ndarray, data_sample, draw_gt: bool = True,
                       draw_pred: bool = True, draw_heatmap: bool = False,
                       draw_bbox: bool = False, show_kpt_idx: bool = False,
                       skeleton_style: str = 'mmpose', show: bool = False,
                       wait_time: float = 0, out_file: Optional[str] = None,
                       kpt_thr: float = 0.3, step: int = 0) -> np.ndarray:
        """Draw one sample; show it, write it to ``out_file``, or else hand it to the
        visualisation backends. Heat maps, keypoint indices and skeleton styles of MMPose's
        signature are accepted and not drawn (the model has none of them).

        Returns:
            np.ndarray: The drawing (H,W,3) uint8 RGB.
        """
        drawn = self.draw_sample(image, data_sample, draw_gt, draw_pred, draw_bbox)
        self.set_image(drawn)
        if show:
            self.show(drawn, win_name=name, wait_time=wait_time)
        if out_file is not None:
            mmcv.imwrite(drawn[..., ::-1], out_file)
        else:
            self.add_image(name, drawn, step)
        return drawn

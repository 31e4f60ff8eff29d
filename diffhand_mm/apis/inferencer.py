"""MeshInferencer: images, arrays, folders or videos -> hand meshes in the camera frame.

In the spirit of MMPose's inferencers: built from a config (+ checkpoint) or a built model,
it runs the config's test pipeline (crop + pack, the loader dropped since frames are decoded
here) and ``model.test_step``, and returns one :class:`HandPrediction` per hand.
"""
import copy
import logging
import math
from dataclasses import dataclass, field
from typing import Iterator, List, NamedTuple, Optional, Sequence, Tuple, Union

import cv2
import numpy as np
import torch
from mmcv.transforms import Compose
from mmengine.config import Config
from mmengine.logging import print_log
from torch import nn
from tqdm import tqdm

from diffhand_mm.engine import load_checkpoint_strictly
from diffhand_mm.models.tta import DEFAULT_TTA
from diffhand_mm.registry import MODELS, TRANSFORMS, type_name
from diffhand_mm.utils.cli import InputError
from .inputs import Frame, InputType, iterate_frames, list_sources

import diffhand_mm.datasets.transforms  # noqa: F401  (registers the hand transforms)
import diffhand_mm.models  # noqa: F401  (registers the model components)

_LOADER_TYPES = ('LoadHandImage', 'LoadImage')


@dataclass
class HandPrediction:
    """One hand of one frame; arrays are float32 numpy, metres and original-image pixels.

    Attributes:
        frame: The frame's output stem (see :class:`~diffhand_mm.apis.inputs.Frame`).
        source: Image or video path, or ``'<array>'``.
        frame_index: Index of the frame in its video (0 for images).
        hand_index: Index of the hand (box) within the frame.
        hand_side: 'right' or 'left'.
        box: (4,) x1, y1, x2, y2 pixels as given, or None (the whole image was the crop).
        crop_box: (4,) the square region actually cropped, pixel edges of the original image.
        K: (3, 3) intrinsics of the original image used to place the mesh.
        vertices: (V, 3) metres, camera frame.
        joints: (21, 3) metres, camera frame, OpenPose order.
        joints_2d: (21, 2) pixels of the original image.
        vertex_uncertainty: (V,) metres with several hypotheses, else None.
    """
    frame: str
    source: str
    frame_index: int
    hand_index: int
    hand_side: str
    box: Optional[np.ndarray]
    crop_box: np.ndarray
    K: np.ndarray
    vertices: np.ndarray
    joints: np.ndarray
    joints_2d: np.ndarray
    vertex_uncertainty: Optional[np.ndarray] = None

    def to_dict(self) -> dict:
        """JSON-ready dict (nested lists; metres and pixels)."""
        out = dict(frame=self.frame, source=self.source, frame_index=self.frame_index,
                   hand_index=self.hand_index, hand_side=self.hand_side, units='metres',
                   box=None if self.box is None else self.box.tolist(),
                   crop_box=self.crop_box.tolist(), K=self.K.tolist(),
                   vertices=self.vertices.tolist(), joints=self.joints.tolist(),
                   joints_2d=self.joints_2d.tolist())
        if self.vertex_uncertainty is not None:
            out['vertex_uncertainty'] = self.vertex_uncertainty.tolist()
        return out


@dataclass
class FrameResult:
    """The predictions of the hands of one frame (the image itself is not kept).

    Attributes:
        frame: The frame's output stem. source: Its image or video path, or ``'<array>'``.
        frame_index: Index in its video (0 for images). video: The video path or None.
        image_size: (H, W) pixels. hands: One prediction per box.
    """
    frame: str
    source: str
    frame_index: int
    video: Optional[str]
    image_size: Tuple[int, int]
    hands: List[HandPrediction] = field(default_factory=list)


class InputFailure(NamedTuple):
    """An input the inferencer could not use: its path and why (one line)."""
    source: str
    reason: str


class InferenceResults(list):
    """The :class:`FrameResult` of every processed frame, in input order, and in
    ``failures`` the inputs that were skipped (``strict=False``), in input order."""

    def __init__(self, results=(), failures: Sequence[InputFailure] = ()):
        super().__init__(results)
        self.failures: List[InputFailure] = list(failures)


#: Fewest pixels a hand box (its longer side, and the part of it inside the image) or an
#: image side must have to hold a hand: the crop is scaled up to the network input (128-256
#: px), and below this a box is a click, not a hand (its "hand" is placed metres away).
MIN_HAND_PIXELS = 16


def frame_problem(image_size: Tuple[int, int], boxes: Optional[np.ndarray]) -> Optional[str]:
    """Why a frame of ``image_size`` (H, W) with these (N, 4) boxes cannot hold a hand, or
    None. Boxes may reach outside the image (the crop is padded) but must overlap it."""
    height, width = image_size
    if min(height, width) < MIN_HAND_PIXELS:
        return (f'the image is {width}x{height} px, too small to hold a hand (at least '
                f'{MIN_HAND_PIXELS} px a side)')
    for number, box in enumerate([] if boxes is None else boxes):
        x1, y1, x2, y2 = (float(v) for v in box)
        name = f'box {number} [{x1:g}, {y1:g}, {x2:g}, {y2:g}]'
        side = max(x2 - x1, y2 - y1)
        if side < MIN_HAND_PIXELS:
            return (f'{name} is {side:g} px across; a hand needs at least {MIN_HAND_PIXELS} px')
        inside_w = min(x2, width - 0.5) - max(x1, -0.5)
        inside_h = min(y2, height - 0.5) - max(y1, -0.5)
        if inside_w <= 0 or inside_h <= 0:
            return f'{name} lies outside the {width}x{height} image'
        if max(inside_w, inside_h) < MIN_HAND_PIXELS:
            return (f'{name}: only {max(inside_w, inside_h):.3g} px of it lie inside the '
                    f'{width}x{height} image; a hand needs at least {MIN_HAND_PIXELS} px')
    return None


def default_intrinsics(height: int, width: int) -> np.ndarray:
    """Intrinsics used when the user gives none: focal length = the image diagonal in pixels
    (a field of view of about 53 degrees across the diagonal, a common phone/webcam value),
    principal point at the image centre ((W-1)/2, (H-1)/2), pixel centres at integers.

    The root-relative shape does not depend on it; the depth of the hand scales with the
    focal length, so absolute positions are only as right as this guess.
    """
    focal = math.hypot(width, height)
    return np.array([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2],
                     [0.0, 0.0, 1.0]], dtype=np.float32)


def check_intrinsics(K, name: str = 'K') -> np.ndarray:
    """Validate a (3, 3) pinhole matrix (positive focal lengths, last row 0 0 1)."""
    K = np.asarray(K, dtype=np.float32)
    if K.shape != (3, 3) or not np.isfinite(K).all() or K[0, 0] <= 0 or K[1, 1] <= 0 \
            or not np.allclose(K[2], [0, 0, 1]):
        raise ValueError(f'{name} must be a (3, 3) pinhole matrix [[fx, s, cx], [0, fy, cy], '
                         f'[0, 0, 1]] with fx, fy > 0, got {K.tolist()}.')
    return K


def check_boxes(bboxes) -> Optional[np.ndarray]:
    """None, one box (4,) or several (N, 4) x1 y1 x2 y2 -> (N, 4) float32 or None."""
    if bboxes is None:
        return None
    boxes = np.asarray(bboxes, dtype=np.float32)
    boxes = boxes[None] if boxes.ndim == 1 else boxes
    if boxes.ndim != 2 or boxes.shape[1] != 4 or not np.isfinite(boxes).all() \
            or (boxes[:, 2] <= boxes[:, 0]).any() or (boxes[:, 3] <= boxes[:, 1]).any():
        raise ValueError('bboxes must be (4,) or (N, 4) as x1 y1 x2 y2 pixels with x2 > x1 '
                         f'and y2 > y1, got {np.asarray(bboxes).tolist()}.')
    return boxes


def build_test_pipeline(cfg: Optional[Config], pipeline: Optional[Sequence[dict]] = None,
                        input_size: Optional[int] = None) -> List[dict]:
    """The inference pipeline: the config's test pipeline without its loader, with
    ``FlipLeftToRight`` before the crop (a no-op for right hands).

    ``pipeline`` if given, else looked up in the config's ``test_dataloader.dataset.pipeline``,
    then ``test_pipeline``. Without one,
    ``FlipLeftToRight`` + ``HandCrop(input_size=(S, S), padding=1.3)`` + ``PackHandInputs``
    with S = the encoder's ``img_size`` (or ``input_size``).

    Raises:
        ValueError: the pipeline has no ``HandCrop`` or no ``PackHandInputs``.
    """
    if pipeline is None and cfg is not None:
        dataset = (cfg.get('test_dataloader') or {}).get('dataset') or {}
        pipeline = dataset.get('pipeline') or cfg.get('test_pipeline')
    if pipeline is None:
        if input_size is None:
            backbone = (cfg.get('model', {}) if cfg is not None else {}).get('backbone', {})
            input_size = backbone.get('img_size', 224)
        pipeline = [dict(type='HandCrop', input_size=(input_size, input_size), padding=1.3),
                    dict(type='PackHandInputs')]
    pipeline = [copy.deepcopy(dict(t)) for t in pipeline
                if type_name(t['type']) not in _LOADER_TYPES]
    types = [type_name(t['type']) for t in pipeline]
    if 'HandCrop' not in types or 'PackHandInputs' not in types:
        raise ValueError(f'The test pipeline must contain HandCrop and PackHandInputs, got '
                         f'{types}.')
    if 'FlipLeftToRight' not in types:
        pipeline.insert(types.index('HandCrop'), dict(type='FlipLeftToRight'))
    return pipeline


def init_model(config: Union[str, Config], checkpoint: Optional[str] = None,
               device: str = 'cpu') -> Tuple[nn.Module, Config]:
    """Build the model of ``config`` and load ``checkpoint`` strictly (random weights without
    one).

    Raises:
        FileNotFoundError: the config or the checkpoint does not exist.
        CheckpointMismatchError: the checkpoint was made for another model or model config
            (see :func:`~diffhand_mm.engine.load_checkpoint_strictly`).
    """
    cfg = Config.fromfile(config) if isinstance(config, str) else copy.deepcopy(config)
    model = MODELS.build(cfg.model)
    if checkpoint is not None:
        load_checkpoint_strictly(model, checkpoint, cfg.model,
                                 config_name=cfg.filename or 'the config')
    return model.to(device).eval(), cfg


class MeshInferencer:
    """Hand meshes from images, arrays, folders or videos.

    Args:
        model: Config path, ``Config``, or a built ``DiffHand``.
        checkpoint: Checkpoint to load (with a config); None keeps random weights.
        device: 'cpu', 'cuda', 'cuda:1'...
        pipeline: Transform configs replacing the config's test pipeline (see
            :func:`build_test_pipeline`; a loader in it is dropped).
        num_hypotheses: Diffusion samples per hand (> 1 adds ``vertex_uncertainty``).
        sampling_steps: DDIM steps.
        tta: True (:data:`~diffhand_mm.models.tta.DEFAULT_TTA`) or a dict(rotations=[deg],
            scales=[...]) for test-time augmentation; None/False for none.
        batch_size: Hands per model call.
        seed: Seed of the diffusion noise, set at every call (None: not seeded).
        show_progress: A tqdm bar over frames.
    """

    def __init__(self, model: Union[str, Config, nn.Module], checkpoint: Optional[str] = None,
                 device: str = 'cpu', pipeline: Optional[Sequence[dict]] = None,
                 num_hypotheses: Optional[int] = None, sampling_steps: Optional[int] = None,
                 tta: Union[bool, dict, None] = None, batch_size: int = 1,
                 seed: Optional[int] = 0, show_progress: bool = True) -> None:
        if isinstance(model, nn.Module):
            self.model, self.cfg = model.to(device).eval(), None
        else:
            self.model, self.cfg = init_model(model, checkpoint, device)
        overrides = dict(num_hypotheses=num_hypotheses, sampling_steps=sampling_steps)
        self.model.test_cfg.update({k: v for k, v in overrides.items() if v is not None})
        if tta:
            self.model.test_cfg['tta'] = dict(DEFAULT_TTA) if tta is True else dict(tta)
        if batch_size < 1:
            raise ValueError(f'MeshInferencer: batch_size must be >= 1, got {batch_size}.')
        self.batch_size = batch_size
        self.seed = seed
        self.show_progress = show_progress
        # A model given without its config: crop at its encoder's input size (the shipped
        # tiny model, trained at 128 px, fed 224 px crops: whole-image 2D joint error 40.2
        # instead of 31.1 px, root depth error 260 instead of 146 mm, 16 SynthHand images).
        encoder_size = getattr(getattr(self.model, 'backbone', None), 'img_size', None)
        self.pipeline_cfg = build_test_pipeline(self.cfg, pipeline, input_size=encoder_size)
        self.pipeline = Compose([TRANSFORMS.build(t) for t in self.pipeline_cfg])
        self.crop_padding = next(t.padding for t in self.pipeline.transforms
                                 if type(t).__name__ == 'HandCrop')
        self.faces = self.model.head.faces.detach().cpu().numpy()

    def __call__(self, inputs: InputType, bboxes=None, K=None,
                 hand: Union[str, Sequence[str]] = 'right', writer=None,
                 strict: bool = True) -> InferenceResults:
        """Run on every frame of ``inputs``.

        Args:
            inputs: An image path, a (H, W, 3) uint8 BGR array, a folder of images, a video
                file, or a list of these.
            bboxes: Hand boxes x1 y1 x2 y2 in pixels, (4,) or (N, 4), used for every frame;
                None: the whole image is the crop (its longer side fills the network input).
            K: (3, 3) intrinsics of every frame; None: :func:`default_intrinsics`.
            hand: 'right' or 'left' (one per box, or one for all). Left hands are mirrored in
                (``FlipLeftToRight``) and their predictions mirrored back by the model.
            writer: Optional :class:`~diffhand_mm.apis.writer.MeshWriter`; gets every frame
                (image and result) as soon as its hands are predicted, and is closed at the
                end (on an error, the files it had not finished are removed).
            strict: Raise at the first input that cannot be used (unreadable or empty file,
                video that does not open, image or box that cannot hold a hand). False: log
                it, skip it, go on, and list it in the result's ``failures``.

        Returns:
            InferenceResults: per frame, in input order; ``.failures`` the skipped inputs.

        Raises:
            FileNotFoundError / ValueError: a path does not exist, a folder holds no image,
                an option is invalid (always), or an input cannot be used (``strict``).
            IOError: an input cannot be read (``strict``).
        """
        boxes = check_boxes(bboxes)
        sides = [hand] * (1 if boxes is None else len(boxes)) if isinstance(hand, str) \
            else list(hand)
        if (boxes is not None and len(sides) != len(boxes)) or any(
                s not in ('left', 'right') for s in sides):
            raise ValueError(f"hand must be 'left' or 'right', or one of them per box, got "
                             f'{hand!r} for {1 if boxes is None else len(boxes)} box(es).')
        K = None if K is None else check_intrinsics(K)
        if self.seed is not None:
            torch.manual_seed(self.seed)

        sources = list_sources(inputs)
        total = sum(s.length or 0 for s in sources) if all(s.length for s in sources) else None
        results = InferenceResults()
        frames = self._usable_frames(sources, boxes, results.failures, strict, writer)
        try:
            with tqdm(total=total, unit='frame', disable=not self.show_progress) as progress:
                for chunk in self._chunks(frames, boxes):
                    done = self.predict_frames(chunk, boxes, K, sides)
                    if writer is not None:
                        for frame, result in zip(chunk, done):
                            writer.write(frame.image, result)
                    progress.update(len(done))
                    results += done
        except BaseException:
            if writer is not None:
                writer.abort()
            raise
        if writer is not None:
            writer.close()
        return results

    def _usable_frames(self, sources, boxes: Optional[np.ndarray], failures: list,
                       strict: bool, writer=None) -> Iterator[Frame]:
        """The frames of ``sources`` that can be used; the others raise (``strict``) or are
        logged and recorded in ``failures``, and the rest of their source is skipped."""
        for source in sources:
            try:
                for frame in iterate_frames(source):
                    problem = frame_problem(frame.image.shape[:2], boxes)
                    if problem is not None:
                        where = source.path + (f' (frame {frame.index})' if frame.video else '')
                        raise InputError(f'{where}: {problem}')
                    yield frame
            except (OSError, ValueError, cv2.error) as error:
                if isinstance(error, cv2.error):  # OpenCV's own text does not name the file
                    error = IOError(f'{source.path}: OpenCV cannot read it ({error})')
                if strict:
                    raise error
                reason = ' '.join(str(error).split())
                failures.append(InputFailure(source.path, reason))
                if writer is not None and source.kind == 'video':
                    writer.discard_video(source.path)
                print_log(f'skipped: {reason}' if source.path in reason else
                          f'skipped {source.path}: {reason}', logger='current',
                          level=logging.WARNING)

    def _chunks(self, frames: Iterator[Frame], boxes) -> Iterator[List[Frame]]:
        """Group frames so that each group holds at least ``batch_size`` hands."""
        per_frame = 1 if boxes is None else len(boxes)
        chunk = []
        for frame in frames:
            chunk.append(frame)
            if len(chunk) * per_frame >= self.batch_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def predict_frames(self, frames: Sequence[Frame], boxes: Optional[np.ndarray],
                       K: Optional[np.ndarray], sides: Sequence[str]) -> List[FrameResult]:
        """Crop + pack every hand of ``frames``, run the model in batches, collect results."""
        packed, owners = [], []
        for frame_number, frame in enumerate(frames):
            height, width = frame.image.shape[:2]
            frame_K = default_intrinsics(height, width) if K is None else K
            frame_boxes = [None] if boxes is None else list(boxes)
            for hand_index, (box, side) in enumerate(zip(frame_boxes, sides)):
                packed.append(self.pipeline(self._results_dict(frame, box, frame_K, side)))
                owners.append((frame_number, hand_index, box, frame_K, side))
        samples = []
        for start in range(0, len(packed), self.batch_size):
            batch = packed[start:start + self.batch_size]
            samples += self.model.test_step(dict(inputs=[p['inputs'] for p in batch],
                                                 data_samples=[p['data_samples'] for p in batch]))
        results = [FrameResult(f.name, f.source, f.index, f.video, f.image.shape[:2])
                   for f in frames]
        for sample, (frame_number, hand_index, box, frame_K, side) in zip(samples, owners):
            frame = frames[frame_number]
            results[frame_number].hands.append(self._prediction(sample, frame, hand_index, box,
                                                                frame_K, side))
        return results

    def _results_dict(self, frame: Frame, box: Optional[np.ndarray], K: np.ndarray,
                      side: str) -> dict:
        height, width = frame.image.shape[:2]
        if box is None:
            # A centred square whose padded crop (HandCrop: side * padding) is exactly the
            # image's longer side.
            half = max(height, width) / self.crop_padding / 2
            centre = np.array([(width - 1) / 2, (height - 1) / 2])
            box = np.concatenate([centre - half, centre + half])
        # Inference has no labels, but PackHandInputs projects joints_3d: give it points on
        # the optical axis at 1 m (finite pixels); nothing reads them.
        placeholder = np.tile(np.array([0.0, 0.0, 1.0], np.float32), (21, 1))
        return dict(img=frame.image.copy(), img_path=frame.source, img_shape=(height, width),
                    ori_shape=(height, width), K=K.copy(), bbox=np.asarray(box, np.float32),
                    hand_side=side, joints_3d=placeholder, vertices_3d=None,
                    sample_id=frame.index, dataset_name='inference')

    def _prediction(self, sample, frame: Frame, hand_index: int, box, K: np.ndarray,
                    side: str) -> HandPrediction:
        pred = sample.pred_instances
        affine = np.vstack([np.asarray(sample.metainfo['crop_affine'], np.float64), [0, 0, 1]])
        width, height = sample.metainfo['input_size']
        corners = np.array([[-0.5, -0.5, 1.0], [width - 0.5, height - 0.5, 1.0]])
        crop = corners @ np.linalg.inv(affine).T
        crop_box = np.concatenate([crop[:, :2].min(0), crop[:, :2].max(0)]).astype(np.float32)
        uncertainty = pred.get('vertex_uncertainty')
        return HandPrediction(
            frame=frame.name, source=frame.source, frame_index=frame.index,
            hand_index=hand_index, hand_side=side,
            box=None if box is None else np.asarray(box, np.float32), crop_box=crop_box,
            K=np.asarray(K, np.float32), vertices=pred.vertices[0].numpy(),
            joints=pred.joints_3d[0].numpy(), joints_2d=pred.joints_2d[0].numpy(),
            vertex_uncertainty=None if uncertainty is None else uncertainty[0].numpy())

"""Where the inferencer's frames come from: image files, arrays, folders and videos."""
import os
import os.path as osp
from typing import Iterator, List, NamedTuple, Optional, Sequence, Union

import cv2
import numpy as np

from diffhand_mm.datasets.transforms import LoadHandImage

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif', '.tiff')
VIDEO_EXTENSIONS = ('.mp4', '.avi', '.mov', '.mkv', '.webm', '.m4v')

InputType = Union[str, np.ndarray, Sequence[Union[str, np.ndarray]]]


class Frame(NamedTuple):
    """One picture to run on.

    Attributes:
        image: (H, W, 3) uint8 BGR.
        name: File stem used for the outputs (``array_000`` for arrays, ``<video>_000012``
            for video frames).
        source: The path it came from, or ``'<array>'``.
        video: The video path when the frame comes from a video, else None.
        index: Frame index within its video (0 otherwise).
    """
    image: np.ndarray
    name: str
    source: str
    video: Optional[str] = None
    index: int = 0


class FrameSource(NamedTuple):
    """A lazily read input: ``frames()`` yields :class:`Frame`; ``length`` may be None."""
    kind: str  # 'image', 'array' or 'video'
    path: str
    length: Optional[int]
    array: Optional[np.ndarray] = None


def check_image_array(image: np.ndarray, name: str) -> np.ndarray:
    """Return ``image`` if it is (H, W, 3) uint8 BGR, else raise a ValueError naming it."""
    if not isinstance(image, np.ndarray) or image.dtype != np.uint8 or image.ndim != 3 \
            or image.shape[2] != 3:
        got = (f'{image.dtype} {image.shape}' if isinstance(image, np.ndarray)
               else type(image).__name__)
        raise ValueError(f'{name}: an image array must be uint8 (H, W, 3) BGR, got {got}.')
    return image


def list_sources(inputs: InputType) -> List[FrameSource]:
    """Expand ``inputs`` into sources: a folder becomes its images sorted by name.

    Raises:
        FileNotFoundError: a path does not exist.
        ValueError: a folder holds no image, a file has an unknown extension, an array is not
            uint8 (H, W, 3).
    """
    items = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
    sources = []
    for number, item in enumerate(items):
        if isinstance(item, np.ndarray):
            check_image_array(item, f'input array {number}')
            sources.append(FrameSource('array', f'array_{number:03d}', 1, item))
            continue
        path = os.fspath(item)
        if osp.isdir(path):
            names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS))
            if not names:
                raise ValueError(f'{path}: the folder holds no image '
                                 f'({", ".join(IMAGE_EXTENSIONS)}).')
            sources += [FrameSource('image', osp.join(path, n), 1) for n in names]
        elif not osp.exists(path):
            raise FileNotFoundError(f'Input not found: {path}')
        elif path.lower().endswith(VIDEO_EXTENSIONS):
            sources.append(FrameSource('video', path, _video_length(path)))
        elif path.lower().endswith(IMAGE_EXTENSIONS):
            sources.append(FrameSource('image', path, 1))
        else:
            raise ValueError(f'{path}: unknown input type; expected an image '
                             f'({", ".join(IMAGE_EXTENSIONS)}), a video '
                             f'({", ".join(VIDEO_EXTENSIONS)}) or a folder of images.')
    return sources


def _open_video(path: str) -> cv2.VideoCapture:
    capture = cv2.VideoCapture(path)
    if not capture.isOpened():
        raise IOError(f'Video cannot be opened (corrupt or unsupported codec): {path}')
    return capture


def _video_length(path: str) -> Optional[int]:
    """Frame count the container states, or None (unknown, or the video does not open: that
    is reported when its frames are read, as for any other unreadable input)."""
    capture = cv2.VideoCapture(path)
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) if capture.isOpened() else 0
    capture.release()
    return count if count > 0 else None


def video_fps(path: str, default: float = 30.0) -> float:
    """Frames per second of a video (``default`` when the container does not say)."""
    capture = _open_video(path)
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.release()
    return fps if fps and fps > 0 else default


def iterate_frames(source: FrameSource) -> Iterator[Frame]:
    """Decode the frames of one source.

    Raises:
        FileNotFoundError, IOError: an image is missing, cannot be decoded or is a truncated
            JPEG (from ``LoadHandImage``), or a video cannot be opened or yields no frame.
    """
    if source.kind == 'array':
        yield Frame(source.array, source.path, '<array>')
        return
    if source.kind == 'image':
        image = LoadHandImage().transform(dict(img_path=source.path))['img']
        yield Frame(image, osp.splitext(osp.basename(source.path))[0], source.path)
        return
    capture = _open_video(source.path)
    stem = osp.splitext(osp.basename(source.path))[0]
    index = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            yield Frame(image, f'{stem}_{index:06d}', source.path, source.path, index)
            index += 1
    finally:
        capture.release()
    if index == 0:
        raise IOError(f'Video yields no frame (corrupt or unsupported codec): {source.path}')

"""Image loading with errors that name the file."""
import os.path as osp

import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from diffhand_mm.registry import TRANSFORMS

_JPEG_START = b'\xff\xd8'
_JPEG_END = b'\xff\xd9'


@TRANSFORMS.register_module()
class LoadHandImage(BaseTransform):
    """Load ``results['img_path']`` as a BGR uint8 image.

    Like MMPose's ``LoadImage`` but a missing or unreadable file raises instead of returning
    None (which would make MMEngine silently fetch another sample).

    Adds ``img`` (H,W,3) uint8 BGR, ``img_shape`` and ``ori_shape`` (H,W). A sample that
    already carries its image (``SynthHandOnlineDataset``, the inferencer's arrays) passes
    through, so one pipeline serves files and in-memory images.

    Raises:
        FileNotFoundError: the image does not exist.
        IOError: the file exists but cannot be decoded (empty, truncated, corrupt, not an
            image).
    """

    def transform(self, results: dict) -> dict:
        if results.get('img') is not None:
            img = results['img']
            if not (isinstance(img, np.ndarray) and img.ndim == 3 and img.shape[2] == 3
                    and img.dtype == np.uint8):
                raise ValueError(f'{results.get("img_path", "<array>")}: in-memory image must '
                                 'be a (H, W, 3) uint8 BGR array, got '
                                 f'{getattr(img, "shape", None)} {getattr(img, "dtype", None)}')
            results['img_shape'] = results['ori_shape'] = img.shape[:2]
            return results
        path = results['img_path']
        if not osp.isfile(path):
            raise FileNotFoundError(f'Image not found: {path}')
        with open(path, 'rb') as f:
            data = f.read()
        if not data:  # OpenCV asserts on an empty buffer, without naming the file
            raise IOError(f'Image file is empty (0 bytes): {path}')
        img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
        if img is None:
            raise IOError(f'Image cannot be decoded (corrupt or not an image): {path}')
        # libjpeg decodes a truncated JPEG into a partly grey image with only a warning;
        # a complete JPEG ends with the end-of-image marker (allowing a little padding).
        if data[:2] == _JPEG_START and _JPEG_END not in data[-64:]:
            raise IOError(f'JPEG image is truncated (no end-of-image marker): {path}')
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results

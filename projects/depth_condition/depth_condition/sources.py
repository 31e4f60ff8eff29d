"""Depth sources: where the depth condition comes from, behind one interface.

A depth source turns a sample (the results dict of a data pipeline, after the geometric
transforms) into the depth condition of its network input: an (H, W) float32 map in the input
crop's pixels holding **relative inverse depth in [0, 1]** (1 = the nearest surface in the crop,
0 = the farthest or infinitely far), i.e. what a monocular estimator such as MiDaS gives up to
its unknown scale and shift, normalised per crop.

- :class:`RenderedDepthSource`: SynthHand's rendered depth, degraded to look like such an
  estimate (see :func:`degrade_to_monocular`).
- :class:`~depth_condition.midas.MidasDepthSource`: a MiDaS / DPT network run on the crop,
  from the official weights file the user has.
"""
import os.path as osp
import cv2
import numpy as np

from .registry import DEPTH_SOURCES


class DepthSource:
    """Interface: ``source(results) -> (H, W) float32`` relative inverse depth in [0, 1] of the
    input crop ``results['img']`` (H, W = its size).

    Subclasses raise an error naming the sample when they cannot produce a map.
    """

    def __call__(self, results: dict) -> np.ndarray:
        raise NotImplementedError


def normalize_relative(inverse_depth: np.ndarray, eps: float = 1e-8) -> np.ndarray:
    """Affine-normalise a map to [0, 1] (min -> 0, max -> 1); a constant map becomes zeros.

    This removes the unknown scale and shift of a monocular estimate (and the metric scale of
    a rendered one).
    """
    low, high = float(inverse_depth.min()), float(inverse_depth.max())
    if high - low < eps:
        return np.zeros_like(inverse_depth, dtype=np.float32)
    return ((inverse_depth - low) / (high - low)).astype(np.float32)


def degrade_to_monocular(inverse_depth: np.ndarray, downsample: int = 4,
                         blur_sigma: float = 2.0) -> np.ndarray:
    """Make an exact inverse-depth map of the input crop look like a monocular estimate.

    Steps, in the crop's pixels: (1) area-downsample by ``downsample`` and bilinearly upsample
    back (a coarse estimate loses fine structure: finger gaps, thin edges); (2) Gaussian blur
    with standard deviation ``blur_sigma`` pixels (soft depth edges, soft silhouette);
    (3) :func:`normalize_relative` (no metric scale, no shift).

    Args:
        inverse_depth: (H, W) float inverse depth, 1/metres; 0 where nothing was rendered.
        downsample: Integer factor of step 1 (1 skips it).
        blur_sigma: Step 2's sigma in pixels (0 skips it).

    Returns:
        np.ndarray: (H, W) float32 in [0, 1].
    """
    height, width = inverse_depth.shape
    out = inverse_depth.astype(np.float32)
    if downsample > 1:
        small = cv2.resize(out, (max(1, width // downsample), max(1, height // downsample)),
                           interpolation=cv2.INTER_AREA)
        out = cv2.resize(small, (width, height), interpolation=cv2.INTER_LINEAR)
    if blur_sigma > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur_sigma, borderType=cv2.BORDER_REPLICATE)
    return normalize_relative(out)


def warp_to_input(image: np.ndarray, results: dict) -> np.ndarray:
    """Warp an original-image map (H0, W0) into the input crop with ``results['crop_affine']``
    (original pixels -> input pixels, composed by every geometric transform); pixels from
    outside get 0. Without ``crop_affine`` the map must already be the input's size."""
    height, width = results['img'].shape[:2]
    affine = results.get('crop_affine')
    if affine is None:
        if image.shape[:2] != (height, width):
            raise ValueError(f"{results.get('img_path', '<sample>')}: depth map "
                             f'{image.shape[:2]} is not the input size {(height, width)} and '
                             'the sample has no crop_affine to map it.')
        return image.astype(np.float32)
    return cv2.warpAffine(image.astype(np.float32), np.asarray(affine, np.float64),
                          (width, height), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=0)


@DEPTH_SOURCES.register_module()
class RenderedDepthSource(DepthSource):
    """SynthHand's rendered depth, degraded to look like a monocular estimate.

    The rendered depth z (metres; 0 = background, which SynthHand renders as a flat picture
    with no geometry) comes from the sample itself (``results['depth']``, the on-the-fly
    dataset) or from the file SynthHand wrote next to the image
    (``<split>/depth/<unique_id:08d>.png``, uint16 millimetres). It becomes inverse depth
    1/z (0 on the background: infinitely far), is warped into the input crop, and is degraded
    by :func:`degrade_to_monocular` there.

    What it still gives away that an estimate on a real photo would not (docs in the
    project's README): the background is exactly at infinity, so the blurred hand and
    occluder silhouette stands out from a flat backdrop; and the relief, although coarse, is
    the true one. ``mode='silhouette'`` keeps only the first: the map is the blurred mask of
    rendered surfaces (hand and occluders), to measure how much of an effect the silhouette
    alone explains.

    Args:
        downsample: See :func:`degrade_to_monocular`.
        blur_sigma: See :func:`degrade_to_monocular`, in input-crop pixels.
        mode: ``'inverse_depth'`` or ``'silhouette'``.
    """

    MODES = ('inverse_depth', 'silhouette')

    def __init__(self, downsample: int = 4, blur_sigma: float = 2.0,
                 mode: str = 'inverse_depth') -> None:
        if mode not in self.MODES:
            raise ValueError(f'RenderedDepthSource: mode must be one of {self.MODES}, got '
                             f'{mode!r}.')
        self.downsample = int(downsample)
        self.blur_sigma = float(blur_sigma)
        self.mode = mode

    @staticmethod
    def depth_file(results: dict) -> str:
        """Where SynthHand wrote the depth of this sample: next to ``rgb/`` of its split."""
        split_dir = osp.dirname(osp.dirname(results['img_path']))
        unique_id = results.get('unique_id', results.get('sample_id'))
        return osp.join(split_dir, 'depth', f'{int(unique_id):08d}.png')

    def rendered_depth(self, results: dict) -> np.ndarray:
        """(H0, W0) float32 metres of the original image, 0 where nothing was rendered."""
        if results.get('depth') is not None:
            return np.asarray(results['depth'], np.float32)
        path = self.depth_file(results)
        if not osp.isfile(path):
            raise FileNotFoundError(
                f"RenderedDepthSource: no depth map for {results.get('img_path')}: expected "
                f'{path} (SynthHand writes <split>/depth/%08d.png; real datasets have no '
                'rendered depth, use MidasDepthSource there).')
        millimetres = cv2.imread(path, cv2.IMREAD_UNCHANGED)
        if millimetres is None or millimetres.dtype != np.uint16 or millimetres.ndim != 2:
            raise IOError(f'RenderedDepthSource: {path} is not a single-channel uint16 PNG.')
        return millimetres.astype(np.float32) / 1000.0

    def __call__(self, results: dict) -> np.ndarray:
        depth = self.rendered_depth(results)
        if self.mode == 'silhouette':
            signal = (depth > 0).astype(np.float32)
        else:
            signal = np.where(depth > 0, 1.0 / np.maximum(depth, 1e-6), 0.0)
        return degrade_to_monocular(warp_to_input(signal, results), self.downsample,
                                    self.blur_sigma)

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(downsample={self.downsample}, '
                f'blur_sigma={self.blur_sigma}, mode={self.mode!r})')


def build_depth_source(cfg) -> DepthSource:
    """A depth source from a config dict (or an instance, returned as is)."""
    if isinstance(cfg, DepthSource):
        return cfg
    return DEPTH_SOURCES.build(cfg)


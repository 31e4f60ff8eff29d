"""SynthHand rendered on the fly: an endless supply of labelled hands, no files."""
from typing import Optional

import numpy as np

from diffhand_mm.datasets.base_hand_dataset import BaseHandDataset
from diffhand_mm.datasets.utils import bbox_from_points
from diffhand_mm.registry import DATASETS
from .generator import SPLIT_CODES, SynthHandGenerator, describe


@DATASETS.register_module()
class SynthHandOnlineDataset(BaseHandDataset):
    """Renders SynthHand samples in memory when they are requested.

    Sample ``i`` is the same hand, image and labels as sample ``i`` of
    ``tools/dataset_converters/make_synthhand.py`` with the same seed, split and image size
    (before JPEG compression), whatever the access order or the number of workers.

    Each sample dict has the keys of docs/architecture.md section 3 (``img_path`` is a
    descriptive ``synthhand://...`` string, ``bbox`` bounds the projected vertices grown by
    ``bbox_margin``), plus the image itself under ``img`` (uint8 BGR (H,W,3), so pipelines
    skip ``LoadImage``), ``img_shape`` / ``ori_shape`` (H, W), ``mask`` (H,W) bool visible hand,
    ``depth`` (H,W) float32 metres (0 = background), ``mano`` (61,) float32 (pose and betas of
    OUR hand model, see :class:`~diffhand_mm.synth.generator.SynthSample`) and ``version``.

    Args:
        num_samples: dataset length.
        seed: dataset seed.
        split: 'training' or 'evaluation' (two independent streams of samples).
        version: appearance version 0-3 (0 = FreiHAND's 'gs' image of the written dataset).
        image_size: image side in pixels.
        generator_cfg: extra keyword arguments of :class:`SynthHandGenerator`.
        **kwargs: see :class:`~diffhand_mm.datasets.base_hand_dataset.BaseHandDataset`
            (``pipeline``, ``test_mode``, ``indices``, ``lazy_init``, ``bbox_margin``...).
    """
    dataset_name = 'synthhand'

    def __init__(self,
                 num_samples: int = 32560,
                 seed: int = 0,
                 split: str = 'training',
                 version: int = 0,
                 image_size: int = 224,
                 generator_cfg: Optional[dict] = None,
                 **kwargs):
        if split not in SPLIT_CODES:
            raise ValueError(f'SynthHandOnlineDataset: split must be one of '
                             f'{list(SPLIT_CODES)}, got {split!r}')
        if num_samples < 1:
            raise ValueError(f'SynthHandOnlineDataset: num_samples must be >= 1, got '
                             f'{num_samples}')
        self.num_samples = int(num_samples)
        self.seed = int(seed)
        self.split = split
        self.version = int(version)
        self.image_size = int(image_size)
        self.generator_cfg = dict(generator_cfg or {})
        self._generator = None
        kwargs.setdefault('data_root', '')
        super().__init__(**kwargs)

    @property
    def generator(self) -> SynthHandGenerator:
        """Built on first use (cheap to pickle into workers before that)."""
        if self._generator is None:
            self._generator = SynthHandGenerator(image_size=self.image_size, seed=self.seed,
                                                 **self.generator_cfg)
        return self._generator

    def load_index(self) -> int:
        return self.num_samples

    def build_data_info(self, index: int) -> dict:
        sample = self.generator.sample(index, self.split, version=self.version)
        uvw = sample.vertices.astype(np.float64) @ sample.K.astype(np.float64).T
        return dict(
            img=sample.image,
            img_shape=sample.image.shape[:2],
            ori_shape=sample.image.shape[:2],
            img_path=describe(self.seed, self.split, index, self.version),
            K=sample.K,
            joints_3d=sample.joints,
            vertices_3d=sample.vertices,
            bbox=bbox_from_points(uvw[:, :2] / uvw[:, 2:], self.bbox_margin),
            hand_side='right',
            sample_id=index,
            mask=sample.mask,
            depth=sample.depth,
            mano=sample.mano,
            version=self.version)

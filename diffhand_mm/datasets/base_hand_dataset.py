"""Common base of the hand datasets: array-backed samples built on demand.

MMEngine's ``BaseDataset`` keeps one dict per sample (and pickles them all when serialising);
for 130K FreiHAND samples with 778 vertices each that is gigabytes and minutes. Our datasets
keep their annotations as a few numpy arrays and build the sample dict in
:meth:`get_data_info`, so start-up costs the parsing of the annotation files only.
"""
from typing import Optional, Sequence, Union

import numpy as np
from mmengine.dataset import BaseDataset

from diffhand_mm.registry import diffhand_scope


class BaseHandDataset(BaseDataset):
    """Base of FreiHAND / DexYCB / HO-3D: subclasses implement :meth:`load_index` and
    :meth:`build_data_info`.

    Every sample dict has the keys of docs/architecture.md section 3: ``img_path``,
    ``K`` (3,3), ``joints_3d`` (21,3) metres camera frame OpenPose order, ``vertices_3d``
    (778,3) or None, ``bbox`` (4,) x1 y1 x2 y2 pixels, ``hand_side``, ``sample_id``,
    ``dataset_name``.

    Args:
        data_root: dataset root folder.
        pipeline: transforms applied by ``__getitem__``.
        test_mode: MMEngine's flag (no re-fetching of failed samples when True).
        indices: keep only the first ``indices`` samples (int) or these sample positions.
        lazy_init: defer :meth:`full_init` to first use.
        max_refetch: MMEngine's re-fetch limit when a pipeline returns None.
        bbox_margin: growth of boxes built from projected points, as a fraction of the box's
            larger side added on each side.
    """
    dataset_name = 'hand'
    METAINFO = dict(dataset_name='hand')

    def __init_subclass__(cls, **kwargs):
        # MMEngine treats every *string* passed as ``metainfo=`` as a possible meta file and
        # warns when it is not one; a class-level METAINFO is taken as it is.
        super().__init_subclass__(**kwargs)
        cls.METAINFO = dict(cls.METAINFO, dataset_name=cls.dataset_name)

    def __init__(self,
                 data_root: str,
                 pipeline: Sequence = (),
                 test_mode: bool = False,
                 indices: Optional[Union[int, Sequence[int]]] = None,
                 lazy_init: bool = False,
                 max_refetch: int = 1000,
                 bbox_margin: float = 0.1):
        self.bbox_margin = bbox_margin
        self._order = np.zeros(0, dtype=np.int64)
        # MMEngine builds the pipeline with its own registry, in the current default scope: ours
        # here, so that 'LoadHandImage' etc. resolve when another project builds this dataset.
        with diffhand_scope():
            super().__init__(
                ann_file='',
                data_root=data_root,
                data_prefix=dict(img_path=''),
                indices=indices,
                serialize_data=False,
                pipeline=list(pipeline),
                test_mode=test_mode,
                lazy_init=lazy_init,
                max_refetch=max_refetch)

    def load_index(self) -> int:
        """Read the annotations into arrays; return the number of samples."""
        raise NotImplementedError

    def build_data_info(self, index: int) -> dict:
        """The sample dict of sample ``index`` of the full index (before ``indices``)."""
        raise NotImplementedError

    def load_data_list(self) -> list:
        raise NotImplementedError(
            f'{type(self).__name__} builds samples on demand (see get_data_info); it has no '
            'data list')

    def full_init(self) -> None:
        if self._fully_initialized:
            return
        order = np.arange(self.load_index(), dtype=np.int64)
        if isinstance(self._indices, int):
            order = order[:self._indices]
        elif self._indices is not None:
            order = order[np.asarray(self._indices, dtype=np.int64)]
        self._order = order
        self._fully_initialized = True

    def __len__(self) -> int:
        if not self._fully_initialized:
            self.full_init()
        return len(self._order)

    def get_data_info(self, idx: int) -> dict:
        """Sample dict of position ``idx`` (see the class docstring for the keys)."""
        if not self._fully_initialized:
            self.full_init()
        info = self.build_data_info(int(self._order[idx]))
        info['dataset_name'] = self.dataset_name
        info['sample_idx'] = int(idx)
        return info

"""FreiHAND (Zimmermann et al., ICCV 2019), and SynthHand which writes the same layout.

Layout under ``data_root`` (https://github.com/lmb-freiburg/freihand)::

    training_K.json  training_xyz.json  training_verts.json      one entry per unique sample
    training/rgb/%08d.jpg      N unique samples x 4 versions (gs, hom, sample, auto)
    evaluation_K.json  evaluation_xyz.json  evaluation_verts.json
    evaluation/rgb/%08d.jpg
"""
import os
import os.path as osp
from typing import Optional, Sequence

import numpy as np
from mmengine.logging import print_log

from diffhand_mm.registry import DATASETS
from .base_hand_dataset import BaseHandDataset
from .utils import (bbox_from_points, cached_index, check_files_exist, file_signature,
                    load_json_array, project_points, validate_labels)


@DATASETS.register_module()
class FreiHANDDataset(BaseHandDataset):
    """FreiHAND training or evaluation split.

    The training images come in versions (green screen, homogenised background, two
    re-coloured ones); the image of unique sample ``i`` in version ``v`` has id
    ``i + N * VERSIONS.index(v)`` where ``N`` is the number of entries of the json files
    (32,560 for FreiHAND, whatever SynthHand wrote for its output). Samples are ordered
    version-major; ``sample_id`` is the image id. The evaluation split has no versions
    (``versions`` is ignored) and ``sample_id`` is the row of the evaluation json files.

    All hands are right hands. ``bbox`` bounds the projected vertices (joints when
    ``with_vertices=False``) grown by ``bbox_margin``.

    Args:
        data_root: folder holding the json files and ``training/`` / ``evaluation/``.
        split: ``'training'`` or ``'evaluation'``.
        versions: training image versions to use, a subset of :attr:`VERSIONS`.
        with_vertices: read ``<split>_verts.json`` (else ``vertices_3d`` is None).
        check_images: ``'all'`` (default) checks at init that every image of the used
            versions exists and that the image folder holds no image ids beyond what the
            labels describe (one folder listing: a fraction of a second for FreiHAND);
            ``'versions'`` checks only the first and last image of every version;
            ``'none'`` checks nothing (a missing image then fails when loaded).
        skip_missing_versions: drop versions whose first image is missing (with a warning)
            instead of raising; for partial copies and single-version SynthHand output.
        cache_dir: if given, the parsed arrays are cached there (keyed on the data root,
            split and the json files' sizes and times): the second start takes milliseconds.
        **kwargs: see :class:`BaseHandDataset` (``pipeline``, ``test_mode``, ``indices``...).
    """
    dataset_name = 'freihand'
    VERSIONS = ('gs', 'hom', 'sample', 'auto')
    SPLITS = ('training', 'evaluation')

    def __init__(self,
                 data_root: str,
                 split: str = 'training',
                 versions: Sequence[str] = VERSIONS,
                 with_vertices: bool = True,
                 check_images: str = 'all',
                 skip_missing_versions: bool = False,
                 cache_dir: Optional[str] = None,
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'FreiHAND split must be one of {self.SPLITS}, got {split!r}')
        unknown = [v for v in versions if v not in self.VERSIONS]
        if unknown or not versions:
            raise ValueError(f'FreiHAND versions must be a non-empty subset of {self.VERSIONS}, '
                             f'got {tuple(versions)}')
        if check_images not in ('versions', 'all', 'none'):
            raise ValueError(f"check_images must be 'versions', 'all' or 'none', got "
                             f'{check_images!r}')
        self.split = split
        self.versions = tuple(versions) if split == 'training' else ('',)
        self.with_vertices = with_vertices
        self.check_images = check_images
        self.skip_missing_versions = skip_missing_versions
        self.cache_dir = cache_dir
        super().__init__(data_root=data_root, **kwargs)

    def _json_path(self, name: str) -> str:
        return osp.join(self.data_root, f'{self.split}_{name}.json')

    def image_path(self, image_id: int) -> str:
        return osp.join(self.data_root, self.split, 'rgb', f'{image_id:08d}.jpg')

    def _read_arrays(self) -> dict:
        names = ['K', 'xyz'] + (['verts'] if self.with_vertices else [])
        shapes = dict(K=(3, 3), xyz=(21, 3), verts=(778, 3))
        arrays = {name: load_json_array(self._json_path(name), shapes[name]) for name in names}
        lengths = {self._json_path(name): len(arr) for name, arr in arrays.items()}
        if len(set(lengths.values())) != 1:
            raise ValueError('FreiHAND annotation files disagree on the number of samples: ' +
                             ', '.join(f'{path}: {n}' for path, n in lengths.items()))
        label_names = dict(K='K', xyz='joints_3d', verts='vertices_3d')
        validate_labels('FreiHAND', {label_names[n]: arrays[n] for n in names},
                        {label_names[n]: self._json_path(n) for n in names},
                        np.arange(len(arrays['K'])))
        K, xyz = arrays['K'], arrays['xyz']
        points = arrays.get('verts', xyz)
        arrays['bbox'] = bbox_from_points(
            project_points(points.astype(np.float64), K.astype(np.float64)), self.bbox_margin)
        return arrays

    def load_index(self) -> int:
        names = ['K', 'xyz'] + (['verts'] if self.with_vertices else [])
        for name in names:
            if not osp.isfile(self._json_path(name)):
                raise FileNotFoundError(f'FreiHAND annotation file not found: '
                                        f'{self._json_path(name)}')
        key = dict(root=osp.abspath(self.data_root), split=self.split, margin=self.bbox_margin,
                   files={n: file_signature(self._json_path(n)) for n in names})
        arrays = cached_index(self.cache_dir, f'freihand_{self.split}', key, self._read_arrays)
        self._K, self._xyz, self._bbox = arrays['K'], arrays['xyz'], arrays['bbox']
        self._verts = arrays.get('verts')
        self.num_unique = len(self._K)
        self._version_ids = self._usable_version_ids()
        return self.num_unique * len(self._version_ids)

    def _usable_version_ids(self) -> list:
        """Indices (into VERSIONS) of the versions whose images are checked present."""
        version_ids = ([self.VERSIONS.index(v) for v in self.versions]
                       if self.split == 'training' else [0])
        if self.check_images == 'none':
            return version_ids
        usable = []
        for vid in version_ids:
            first = self.image_path(self.num_unique * vid)
            if self.skip_missing_versions and not osp.isfile(first):
                print_log(f'FreiHAND: skipping version {self.VERSIONS[vid]!r}, its first image '
                          f'{first} does not exist', logger='current', level=30)
                continue
            ids = (np.arange(self.num_unique) if self.check_images == 'all' else
                   np.array([0, self.num_unique - 1])) + self.num_unique * vid
            version = f' (version {self.VERSIONS[vid]!r})' if self.split == 'training' else ''
            try:
                check_files_exist('FreiHAND', f'the image{version}',
                                  [self.image_path(i) for i in ids], ids)
            except FileNotFoundError as err:
                if osp.isfile(first):
                    raise
                raise FileNotFoundError(
                    f'{err}. Images of the {self.split} split must be {self.split}/rgb/%08d.jpg '
                    f'with ids 0..{self.num_unique * len(version_ids) - 1} for '
                    f'{self.num_unique} samples; pass versions=... or skip_missing_versions=True'
                    ' to use fewer versions.') from None
            usable.append(vid)
        if not usable:
            raise FileNotFoundError(f'FreiHAND: none of the versions {self.versions} has images '
                                    f'under {osp.join(self.data_root, self.split, "rgb")}')
        if self.check_images == 'all':
            self._check_no_unlabelled_images()
        return usable

    def _check_no_unlabelled_images(self) -> None:
        """Images with ids no version of the labels can have mean labels and images that do
        not belong together (a truncated or older label file beside newer images)."""
        folder = osp.join(self.data_root, self.split, 'rgb')
        limit = self.num_unique * (len(self.VERSIONS) if self.split == 'training' else 1)
        ids = [int(name[:-4]) for name in os.listdir(folder)
               if name.endswith('.jpg') and name[:-4].isdigit()]
        extra = sorted(i for i in ids if i >= limit)
        if extra:
            raise ValueError(
                f'FreiHAND: {folder} holds {len(extra)} images with ids >= {limit} (e.g. '
                f'{extra[0]:08d}.jpg), but the labels ({self._json_path("xyz")}, ...) describe '
                f'only {self.num_unique} samples: the label files and the images do not belong '
                'together (a truncated or older label file?)')

    def build_data_info(self, index: int) -> dict:
        version_pos, unique_id = divmod(index, self.num_unique)
        image_id = unique_id + self.num_unique * self._version_ids[version_pos]
        verts = None if self._verts is None else self._verts[unique_id].copy()
        return dict(
            img_path=self.image_path(image_id),
            K=self._K[unique_id].copy(),
            joints_3d=self._xyz[unique_id].copy(),
            vertices_3d=verts,
            bbox=self._bbox[unique_id].copy(),
            hand_side='right',
            sample_id=image_id,
            unique_id=unique_id,
            version=self.VERSIONS[self._version_ids[version_pos]] if self.split == 'training'
            else 'evaluation')

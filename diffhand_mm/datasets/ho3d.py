"""HO-3D v2 (Hampali et al., CVPR 2020).

Layout under ``data_root`` (https://github.com/shreyashampali/ho3d)::

    train.txt  evaluation.txt                  one ``<sequence>/<frame id>`` per line
    train/<seq>/rgb/<id>.png (or .jpg)  train/<seq>/meta/<id>.pkl
    evaluation/<seq>/rgb/<id>.png       evaluation/<seq>/meta/<id>.pkl
"""
import os.path as osp
from typing import Optional

import numpy as np
from mmengine.logging import print_log

from diffhand_mm.registry import DATASETS
from diffhand_mm.utils.safe_pickle import NUMPY_GLOBALS, OBJECT_GLOBALS, load_pickle
from .base_hand_dataset import BaseHandDataset
from .hand_model_utils import HandModelCfg, build_hand_models, posed_vertices
from .utils import (MANO_TIPS_TO_OPENPOSE, bbox_from_points, cached_index, check_files_exist,
                    check_shape, file_signature, project_points, validate_labels)

# HO-3D is in OpenGL coordinates (y up, z backward); our camera frame has y down, z forward.
OPENGL_TO_CAMERA = np.array([1.0, -1.0, -1.0], dtype=np.float32)


@DATASETS.register_module()
class HO3DDataset(BaseHandDataset):
    """HO-3D v2 train or evaluation split (right hands only).

    Labels are converted on load: 3D points from OpenGL to the camera frame (y and z negated)
    and joints from HO-3D's order (MANO's 16 joints, then the 5 tips) to OpenPose order.

    ``train``: ``joints_3d`` from ``handJoints3D``; ``bbox`` from the projected joints grown
    by ``bbox_margin``; meshes from ``handPose`` (full axis-angle, no mean pose added),
    ``handBeta``, ``handTrans`` through the right hand model when ``mano`` is given.
    Frames whose ``handJoints3D`` is None (not annotated) are dropped and counted in the log.
    ``evaluation``: only the root joint is public: ``joints_3d`` holds it at index 0 and NaN
    elsewhere, ``joints_3d_valid`` (21,) marks which rows are real, ``bbox`` is the
    dataset's ``handBoundingBox`` and ``vertices_3d`` is None. ``sample_id`` is the row of
    ``<split>.txt`` (the order submissions use).

    Args:
        data_root: the HO-3D v2 root.
        split: ``'train'`` or ``'evaluation'``.
        mano: right hand model config / module (see ``hand_model_utils``) or None.
        cache_dir: folder for the index cache (the meta files are read once), or None.
        check_images: ``'all'`` (default) checks at start that every frame's image exists;
            ``'none'`` checks nothing.
        **kwargs: see :class:`BaseHandDataset`.
    """
    dataset_name = 'ho3d'
    SPLITS = ('train', 'evaluation')

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 mano: HandModelCfg = None,
                 cache_dir: Optional[str] = None,
                 check_images: str = 'all',
                 **kwargs):
        if split not in self.SPLITS:
            raise ValueError(f'HO-3D split must be one of {self.SPLITS}, got {split!r}')
        if check_images not in ('all', 'none'):
            raise ValueError(f"HO-3D check_images must be 'all' or 'none', got {check_images!r}")
        self.split = split
        self.check_images = check_images
        self.cache_dir = cache_dir
        self.hand_models = build_hand_models(mano, 'HO-3D') if split == 'train' else {}
        if self.hand_models and 'right' not in self.hand_models:
            raise ValueError('HO-3D hands are right hands: give a right hand model')
        super().__init__(data_root=data_root, **kwargs)

    def load_index(self) -> int:
        list_path = osp.join(self.data_root, f'{self.split}.txt')
        if not osp.isfile(list_path):
            raise FileNotFoundError(f'HO-3D frame list not found: {list_path}')
        key = dict(root=osp.abspath(self.data_root), split=self.split, margin=self.bbox_margin,
                   list=file_signature(list_path))
        self._index = cached_index(self.cache_dir, f'ho3d_{self.split}', key,
                                   lambda: self._build_index(list_path))
        if self.check_images == 'all':
            check_files_exist('HO-3D', 'the image', self._index['img_path'], self._index['row'])
        if self._index['num_unlabelled']:
            print_log(f'HO-3D {self.split}: dropped {self._index["num_unlabelled"]} frames '
                      'without hand annotation', logger='current', level=30)
        return len(self._index['names'])

    def _build_index(self, list_path: str) -> dict:
        with open(list_path, 'r') as f:
            names = [line.strip() for line in f if line.strip()]
        columns = {k: [] for k in ('names', 'row', 'img_path', 'K', 'joints_3d', 'bbox', 'pose',
                                   'betas', 'transl', 'meta_path')}
        num_unlabelled = 0
        image_ext = {}
        for row, name in enumerate(names):
            if name.count('/') != 1:
                raise ValueError(f'{list_path}: line {row + 1} is {name!r}, expected '
                                 '<sequence>/<frame id>')
            seq, frame = name.split('/')
            meta_path = osp.join(self.data_root, self.split, seq, 'meta', f'{frame}.pkl')
            meta = _load_meta(meta_path)
            if seq not in image_ext:
                image_ext[seq] = _image_extension(self.data_root, self.split, seq, frame)
            K = np.asarray(meta.get('camMat'), dtype=np.float32)
            check_shape(K, (3, 3), meta_path, 'camMat')
            sample = self._read_labels(meta, meta_path, K)
            if sample is None:
                num_unlabelled += 1
                continue
            joints, bbox, pose, betas, transl = sample
            img_path = osp.join(self.data_root, self.split, seq, 'rgb', f'{frame}{image_ext[seq]}')
            for key, value in zip(columns, (name, row, img_path, K, joints, bbox, pose, betas,
                                            transl, meta_path)):
                columns[key].append(value)
        index = {k: np.asarray(v) for k, v in columns.items()}
        if len(names) - num_unlabelled == 0:
            raise ValueError(f'HO-3D {self.split}: none of the {len(names)} frames of '
                             f'{list_path} has a hand annotation')
        self._validate(index)
        index['num_unlabelled'] = num_unlabelled
        return index

    def _validate(self, index: dict) -> None:
        """All samples' labels at once; errors name the meta file and the row."""
        if self.split == 'train':
            labels = dict(K=index['K'], joints_3d=index['joints_3d'], handPose=index['pose'],
                          handBeta=index['betas'], handTrans=index['transl'])
        else:  # only the root joint and the box are public
            labels = dict(K=index['K'], handJoints3D=index['joints_3d'][:, :1],
                          handBoundingBox=index['bbox'])
        validate_labels('HO-3D', labels, {name: index['meta_path'] for name in labels},
                        index['row'])

    def _read_labels(self, meta: dict, meta_path: str, K: np.ndarray):
        """(joints (21,3), bbox (4,), pose (48,), betas (10,), transl (3,)) in our conventions,
        or None for an unannotated training frame."""
        if self.split == 'evaluation':
            root = np.asarray(meta.get('handJoints3D'), dtype=np.float32).reshape(-1)
            check_shape(root, (3, ), meta_path, 'handJoints3D')
            bbox = np.asarray(meta.get('handBoundingBox'), dtype=np.float32)
            check_shape(bbox, (4, ), meta_path, 'handBoundingBox')
            joints = np.full((21, 3), np.nan, dtype=np.float32)
            joints[0] = root * OPENGL_TO_CAMERA
            return joints, bbox, np.zeros(48, np.float32), np.zeros(10, np.float32), \
                np.zeros(3, np.float32)
        if meta.get('handJoints3D') is None:
            return None
        joints_gl = np.asarray(meta['handJoints3D'], dtype=np.float32)
        check_shape(joints_gl, (21, 3), meta_path, 'handJoints3D')
        joints = (joints_gl * OPENGL_TO_CAMERA)[list(MANO_TIPS_TO_OPENPOSE)]
        params = []
        for name, shape in (('handPose', (48, )), ('handBeta', (10, )), ('handTrans', (3, ))):
            value = np.asarray(meta.get(name), dtype=np.float32).reshape(-1)
            check_shape(value, shape, meta_path, name)
            params.append(value)
        bbox = bbox_from_points(project_points(joints.astype(np.float64), K), self.bbox_margin)
        return (joints, bbox, *params)

    def build_data_info(self, index: int) -> dict:
        idx = self._index
        vertices = None
        if self.hand_models:
            # MANO with HO-3D's parameters gives OpenGL coordinates, like its joints.
            vertices = posed_vertices(self.hand_models['right'], idx['pose'][index],
                                      idx['betas'][index], idx['transl'][index])
            vertices = vertices * OPENGL_TO_CAMERA
        joints = idx['joints_3d'][index].astype(np.float32)
        return dict(
            img_path=str(idx['img_path'][index]),
            K=idx['K'][index].copy(),
            joints_3d=joints,
            joints_3d_valid=np.isfinite(joints).all(axis=1).astype(np.float32),
            vertices_3d=vertices,
            bbox=idx['bbox'][index].astype(np.float32),
            hand_side='right',
            sample_id=int(idx['row'][index]),
            frame_name=str(idx['names'][index]),
        )


def _load_meta(path: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'HO-3D meta file not found: {path}')
    # Written by Python 2 (latin1); read with an allowlist, so a tampered file runs nothing.
    meta = load_pickle(path, {**NUMPY_GLOBALS, **OBJECT_GLOBALS}, encoding='latin1',
                       what='an HO-3D meta file (a dict of numpy arrays)')
    if not isinstance(meta, dict):
        raise ValueError(f'HO-3D meta file does not hold a dict: {path}')
    return meta


def _image_extension(root: str, split: str, seq: str, frame: str) -> str:
    for ext in ('.png', '.jpg'):
        if osp.isfile(osp.join(root, split, seq, 'rgb', f'{frame}{ext}')):
            return ext
    raise FileNotFoundError(f'HO-3D image not found: {osp.join(root, split, seq, "rgb", frame)}'
                            '.png (or .jpg)')

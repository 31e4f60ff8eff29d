"""DexYCB (Chao et al., CVPR 2021), single-image hand mesh splits.

Layout under ``data_root`` (https://github.com/NVlabs/dex-ycb-toolkit)::

    calibration/intrinsics/<serial>_640x480.yml     key `color`: fx, fy, ppx, ppy
    calibration/mano_<calib>/mano.yml               key `betas` (10)
    <subject>/<sequence>/meta.yml                   num_frames, mano_sides, mano_calib
    <subject>/<sequence>/<serial>/color_%06d.jpg, labels_%06d.npz
"""
import os
import os.path as osp
from typing import Optional

import numpy as np
import yaml
from mmengine.logging import print_log
from mmengine.utils import ProgressBar

from diffhand_mm.registry import DATASETS
from .base_hand_dataset import BaseHandDataset
from .hand_model_utils import (HandModelCfg, build_hand_models, pca_to_full_pose,
                               posed_vertices)
from .utils import (bbox_from_points, cached_index, check_files_exist, check_shape,
                    project_points, validate_labels)

SUBJECTS = ('20200709-subject-01', '20200813-subject-02', '20200820-subject-03',
            '20200903-subject-04', '20200908-subject-05', '20200918-subject-06',
            '20200928-subject-07', '20201002-subject-08', '20201015-subject-09',
            '20201022-subject-10')
SERIALS = ('836212060125', '839512060362', '840412060917', '841412060263', '932122060857',
           '932122060861', '932122061900', '932122062010')
IMAGE_WIDTH, IMAGE_HEIGHT = 640, 480
SEQUENCES_PER_SUBJECT = 100

# (subject indices, serial indices, rule on the sequence index) of dex_ycb_toolkit/dex_ycb.py.
_ALL_SUBJECTS, _ALL_SERIALS = tuple(range(10)), tuple(range(8))
SPLIT_RULES = {
    ('s0', 'train'): (_ALL_SUBJECTS, _ALL_SERIALS, lambda i: i % 5 != 4),
    ('s0', 'val'): ((0, 1), _ALL_SERIALS, lambda i: i % 5 == 4),
    ('s0', 'test'): (tuple(range(2, 10)), _ALL_SERIALS, lambda i: i % 5 == 4),
    ('s1', 'train'): ((0, 1, 2, 3, 4, 5, 9), _ALL_SERIALS, lambda i: True),
    ('s1', 'val'): ((6, ), _ALL_SERIALS, lambda i: True),
    ('s1', 'test'): ((7, 8), _ALL_SERIALS, lambda i: True),
    ('s2', 'train'): (_ALL_SUBJECTS, tuple(range(6)), lambda i: True),
    ('s2', 'val'): (_ALL_SUBJECTS, (6, ), lambda i: True),
    ('s2', 'test'): (_ALL_SUBJECTS, (7, ), lambda i: True),
    ('s3', 'train'): (_ALL_SUBJECTS, _ALL_SERIALS, lambda i: i // 5 not in (3, 7, 11, 15, 19)),
    ('s3', 'val'): (_ALL_SUBJECTS, _ALL_SERIALS, lambda i: i // 5 in (3, 19)),
    ('s3', 'test'): (_ALL_SUBJECTS, _ALL_SERIALS, lambda i: i // 5 in (7, 11, 15)),
}


def _read_yaml(path: str, what: str) -> dict:
    if not osp.isfile(path):
        raise FileNotFoundError(f'DexYCB {what} not found: {path}')
    with open(path, 'r') as f:
        return yaml.safe_load(f)


@DATASETS.register_module()
class DexYCBDataset(BaseHandDataset):
    """DexYCB frames of one official split, without the frames unusable for mesh recovery.

    Frames follow the toolkit's order (sequence, then camera, then frame) and ``sample_id`` is
    the frame's index in the toolkit's unfiltered split, i.e. the ``image_id`` of its
    hand-pose evaluation. Dropped (and counted in the log): frames without a hand
    (``pose_m`` all zeros or ``joint_3d`` all -1) and frames with fewer than
    ``min_joints_in_image`` of the 21 projected joints inside the 640x480 image.

    Left hands are NOT flipped here: they keep their own labels and ``hand_side='left'``;
    put ``FlipLeftToRight`` in the pipeline to mirror them into right hands (the HandOccNet /
    DiffHand convention). Their meshes need a left MANO model.

    The index over all frames (one label file read per frame) is built once with a progress
    bar; with ``cache_dir`` it is saved there, keyed on the data root, setup, split and
    filter, and later starts read that file.

    Args:
        data_root: the DexYCB root (``DEX_YCB_DIR`` of the toolkit).
        split: ``'train'``, ``'val'`` or ``'test'``.
        setup: ``'s0'`` (default, the one mesh papers report) to ``'s3'``.
        mano: hand model config / module, or ``dict(right=..., left=...)``; None gives
            ``vertices_3d=None`` (joint metrics only). See ``hand_model_utils``.
        min_joints_in_image: drop frames with fewer projected joints inside the image.
        check_images: ``'all'`` (default) checks at start that the image of every kept frame
            exists (one folder listing per camera folder); ``'none'`` checks nothing.
        check_sequence_count: require the toolkit's 100 sequences per subject (the split rule
            indexes the sorted sequence list; with fewer folders it would pick other ones).
        cache_dir: folder for the index cache, or None.
        **kwargs: see :class:`BaseHandDataset`.
    """
    dataset_name = 'dexycb'

    def __init__(self,
                 data_root: str,
                 split: str = 'train',
                 setup: str = 's0',
                 mano: HandModelCfg = None,
                 min_joints_in_image: int = 11,
                 check_images: str = 'all',
                 check_sequence_count: bool = True,
                 cache_dir: Optional[str] = None,
                 **kwargs):
        if (setup, split) not in SPLIT_RULES:
            raise ValueError(f'DexYCB setup/split must be s0-s3 / train, val, test; got '
                             f'{setup!r} / {split!r}')
        if check_images not in ('all', 'none'):
            raise ValueError(f"DexYCB check_images must be 'all' or 'none', got {check_images!r}")
        self.split, self.setup = split, setup
        self.check_images = check_images
        self.min_joints_in_image = min_joints_in_image
        self.check_sequence_count = check_sequence_count
        self.cache_dir = cache_dir
        self.hand_models = build_hand_models(mano, 'DexYCB')
        super().__init__(data_root=data_root, **kwargs)

    def load_index(self) -> int:
        key = dict(root=osp.abspath(self.data_root), setup=self.setup, split=self.split,
                   min_joints=self.min_joints_in_image, margin=self.bbox_margin,
                   check_count=self.check_sequence_count)
        index = cached_index(self.cache_dir, f'dexycb_{self.setup}_{self.split}', key,
                             self._build_index)
        self._index = index
        print_log(f'DexYCB {self.setup} {self.split}: {len(index["frame"])} frames kept of '
                  f'{index["num_total"]} ({index["num_no_hand"]} without hand, '
                  f'{index["num_out_of_view"]} with fewer than {self.min_joints_in_image} '
                  'joints in the image)', logger='current')
        if self.hand_models and 'left' in index['sides'][index['sequence']] and \
                'left' not in self.hand_models:
            raise ValueError('DexYCB: this split has left hands but no left hand model was '
                             "given; pass mano=dict(right=..., left=dict(type='MANOHandModel', "
                             "model_path='.../MANO_LEFT.pkl'))")
        if self.check_images == 'all':
            check_files_exist('DexYCB', 'the image', [self._image_path(i) for i in
                                                      range(len(index['frame']))],
                              index['sample_id'])
        return len(index['frame'])

    def _image_path(self, index: int) -> str:
        idx = self._index
        seq_idx, cam_idx, frame = (int(idx[k][index]) for k in ('sequence', 'serial', 'frame'))
        return osp.join(self.data_root, str(idx['sequence_names'][seq_idx]),
                        str(idx['serials'][cam_idx]), f'color_{frame:06d}.jpg')

    def _selected_sequences(self) -> list:
        subject_ids, _, rule = SPLIT_RULES[(self.setup, self.split)]
        sequences = []
        for subject in (SUBJECTS[i] for i in subject_ids):
            subject_dir = osp.join(self.data_root, subject)
            if not osp.isdir(subject_dir):
                raise FileNotFoundError(f'DexYCB subject folder not found: {subject_dir}')
            names = sorted(os.listdir(subject_dir))
            if self.check_sequence_count and len(names) != SEQUENCES_PER_SUBJECT:
                raise ValueError(f'DexYCB: {subject_dir} holds {len(names)} entries, expected '
                                 f'{SEQUENCES_PER_SUBJECT} sequences (an incomplete copy would '
                                 'change the split)')
            sequences += [osp.join(subject, n) for i, n in enumerate(names) if rule(i)]
        return sequences

    def _build_index(self) -> dict:
        _, serial_ids, _ = SPLIT_RULES[(self.setup, self.split)]
        serials = [SERIALS[i] for i in serial_ids]
        intrinsics, intrinsic_paths = [], []
        for serial in serials:
            path = osp.join(self.data_root, 'calibration', 'intrinsics',
                            f'{serial}_{IMAGE_WIDTH}x{IMAGE_HEIGHT}.yml')
            intrinsic_paths.append(path)
            color = _read_yaml(path, 'intrinsics file')['color']
            intrinsics.append([[color['fx'], 0, color['ppx']], [0, color['fy'], color['ppy']],
                               [0, 0, 1]])
        intrinsics = np.asarray(intrinsics, dtype=np.float32)
        validate_labels('DexYCB', dict(K=intrinsics), dict(K=intrinsic_paths), serials)

        sequences = self._selected_sequences()
        metas = [self._read_sequence_meta(seq) for seq in sequences]
        num_total = sum(m['num_frames'] for m in metas) * len(serials)
        # Read every label file (the slow part), then judge all frames at once.
        frames = [(seq_idx, cam_idx, frame)
                  for seq_idx, meta in enumerate(metas) for cam_idx in range(len(serials))
                  for frame in range(meta['num_frames'])]
        label_paths = [osp.join(self.data_root, sequences[q], serials[c], f'labels_{f:06d}.npz')
                       for q, c, f in frames]
        joints = np.zeros((len(frames), 21, 3), np.float32)
        pose_m = np.zeros((len(frames), 51), np.float32)
        progress = ProgressBar(num_total) if num_total else None
        for i, path in enumerate(label_paths):
            joints[i], pose_m[i] = self._read_label(path)
            progress.update()
        frames = np.asarray(frames, dtype=np.int64).reshape(-1, 3)
        sample_ids = np.arange(len(frames))  # the frame's index in the toolkit's split
        # A NaN frame must be an error, not a frame silently dropped as "out of view".
        validate_labels('DexYCB', dict(joint_3d=joints, pose_m=pose_m),
                        dict(joint_3d=label_paths, pose_m=label_paths), sample_ids)

        no_hand = np.all(pose_m == 0, axis=1) | np.all(joints == -1, axis=(1, 2))
        uv = project_points(joints.astype(np.float64), intrinsics[frames[:, 1]])
        inside = ((joints[..., 2] > 0) & (uv[..., 0] >= 0) & (uv[..., 0] <= IMAGE_WIDTH - 1)
                  & (uv[..., 1] >= 0) & (uv[..., 1] <= IMAGE_HEIGHT - 1))
        out_of_view = ~no_hand & (inside.sum(axis=1) < self.min_joints_in_image)
        keep = ~no_hand & ~out_of_view
        validate_labels('DexYCB', dict(joints_3d=joints[keep]),
                        dict(joints_3d=[p for p, k in zip(label_paths, keep) if k]),
                        sample_ids[keep])
        index = dict(sequence=frames[keep, 0], serial=frames[keep, 1], frame=frames[keep, 2],
                     sample_id=sample_ids[keep], joints_3d=joints[keep], pose_m=pose_m[keep],
                     bbox=bbox_from_points(uv[keep], self.bbox_margin).reshape(-1, 4))
        index.update(
            sequence_names=np.asarray(sequences), serials=np.asarray(serials),
            intrinsics=intrinsics, sides=np.asarray([m['side'] for m in metas]),
            betas=np.asarray([m['betas'] for m in metas], dtype=np.float32).reshape(-1, 10),
            num_total=num_total, num_no_hand=int(no_hand.sum()),
            num_out_of_view=int(out_of_view.sum()))
        return index

    def _read_sequence_meta(self, sequence: str) -> dict:
        meta_path = osp.join(self.data_root, sequence, 'meta.yml')
        meta = _read_yaml(meta_path, 'sequence meta file')
        try:
            side, calib = meta['mano_sides'][0], meta['mano_calib'][0]
            num_frames = int(meta['num_frames'])
        except (KeyError, IndexError, TypeError) as err:
            raise ValueError(f'DexYCB: {meta_path} lacks num_frames / mano_sides / mano_calib '
                             f'({err!r})') from err
        if side not in ('right', 'left'):
            raise ValueError(f'DexYCB: {meta_path} has mano_sides {side!r}')
        mano_path = osp.join(self.data_root, 'calibration', f'mano_{calib}', 'mano.yml')
        betas = np.asarray(_read_yaml(mano_path, 'MANO calibration')['betas'], np.float32)
        check_shape(betas, (10, ), mano_path, 'betas')
        return dict(num_frames=num_frames, side=side, betas=betas)

    @staticmethod
    def _read_label(path: str):
        if not osp.isfile(path):
            raise FileNotFoundError(f'DexYCB label file not found: {path}')
        try:
            with np.load(path) as label:
                joints, pose_m = label['joint_3d'], label['pose_m']
        except (KeyError, ValueError, OSError) as err:
            raise ValueError(f'DexYCB: cannot read joint_3d / pose_m from {path} ({err})') \
                from err
        check_shape(joints, (1, 21, 3), path, 'joint_3d')
        check_shape(pose_m, (1, 51), path, 'pose_m')
        return joints[0].astype(np.float32), pose_m[0].astype(np.float32)

    def build_data_info(self, index: int) -> dict:
        idx = self._index
        seq_idx, cam_idx = (int(idx[k][index]) for k in ('sequence', 'serial'))
        side = str(idx['sides'][seq_idx])
        pose_m = idx['pose_m'][index]
        vertices = None
        if self.hand_models:
            model = self.hand_models[side]
            vertices = posed_vertices(model, pca_to_full_pose(model, pose_m[:48]),
                                      idx['betas'][seq_idx], pose_m[48:51])
        return dict(
            img_path=self._image_path(index),
            K=idx['intrinsics'][cam_idx].copy(),
            joints_3d=idx['joints_3d'][index].astype(np.float32),
            vertices_3d=vertices,
            bbox=idx['bbox'][index].astype(np.float32),
            hand_side=side,
            sample_id=int(idx['sample_id'][index]),
            mano_pose=pose_m[:48].copy(),
            mano_betas=idx['betas'][seq_idx].copy(),
        )

"""Writers of tiny datasets in the official FreiHAND / DexYCB / HO-3D layouts, and a fake
hand model (MANO cannot be shipped)."""
import json
import os
import os.path as osp
import pickle
from types import SimpleNamespace

import cv2
import numpy as np
import torch
import yaml
from torch import nn

from diffhand_mm.datasets.dexycb import SERIALS, SUBJECTS
from diffhand_mm.datasets.utils import MANO_TIPS_TO_OPENPOSE


def random_hand(rng, num_vertices=778, centre=(0.0, 0.0, 0.5), spread=0.04):
    """Joints (21,3) and vertices (V,3) scattered around ``centre`` (metres)."""
    centre = np.asarray(centre)
    joints = centre + rng.uniform(-spread, spread, (21, 3))
    verts = centre + rng.uniform(-spread, spread, (num_vertices, 3))
    return joints.astype(np.float32), verts.astype(np.float32)


def draw_joints(path, joints, K, size):
    """An image (BGR) with a dot at each projected joint."""
    img = np.zeros((size[1], size[0], 3), np.uint8)
    uvw = joints @ K.T
    for u, v in uvw[:, :2] / uvw[:, 2:]:
        if np.isfinite(u) and np.isfinite(v):
            cv2.circle(img, (int(round(u)), int(round(v))), 2, (0, 200, 255), -1)
    cv2.imwrite(path, img)


def write_freihand(root, num=3, versions=2, split='training', seed=0, with_images=True):
    """FreiHAND layout with ``num`` unique samples and images for the first ``versions``."""
    rng = np.random.default_rng(seed)
    K = np.array([[230.0, 0, 111.5], [0, 230.0, 111.5], [0, 0, 1]], np.float32)
    Ks, xyzs, vertss = [], [], []
    for _ in range(num):
        joints, verts = random_hand(rng)
        Ks.append(K.tolist()), xyzs.append(joints.tolist()), vertss.append(verts.tolist())
    for name, data in (('K', Ks), ('xyz', xyzs), ('verts', vertss)):
        with open(osp.join(root, f'{split}_{name}.json'), 'w') as f:
            json.dump(data, f)
    if with_images:
        os.makedirs(osp.join(root, split, 'rgb'), exist_ok=True)
        for v in range(versions if split == 'training' else 1):
            for i in range(num):
                draw_joints(osp.join(root, split, 'rgb', f'{i + num * v:08d}.jpg'),
                            np.asarray(xyzs[i]), K, (224, 224))
    return dict(K=np.asarray(Ks), xyz=np.asarray(xyzs), verts=np.asarray(vertss))


DEX_K = np.array([[600.0, 0, 320.0], [0, 610.0, 240.0], [0, 0, 1]], np.float32)


def write_dexycb(root, sequences_per_subject=5, frames=1, special=None, seed=0,
                 with_images=False, subjects_with_images=None):
    """DexYCB layout: all 10 subjects, ``sequences_per_subject`` sequences each, 8 cameras.

    With ``with_images``, ``color_%06d.jpg`` files (640x480 drawings of the joints) are
    written for the subjects in ``subjects_with_images`` (indices; None: all); the other
    images are empty files.

    ``special`` maps (subject index, sequence index, serial index, frame) to 'no_hand' or
    'out_of_view'; sequences listed under ('left', subject, sequence) are left hands.
    """
    special = special or {}
    rng = np.random.default_rng(seed)
    intr_dir = osp.join(root, 'calibration', 'intrinsics')
    os.makedirs(intr_dir, exist_ok=True)
    for serial in SERIALS:
        with open(osp.join(intr_dir, f'{serial}_640x480.yml'), 'w') as f:
            yaml.safe_dump(dict(color=dict(fx=600.0, fy=610.0, ppx=320.0, ppy=240.0),
                                depth=dict(fx=1.0, fy=1.0, ppx=1.0, ppy=1.0)), f)
    os.makedirs(osp.join(root, 'calibration', 'mano_calibA'), exist_ok=True)
    with open(osp.join(root, 'calibration', 'mano_calibA', 'mano.yml'), 'w') as f:
        yaml.safe_dump(dict(betas=[0.1 * i for i in range(10)]), f)
    labels = {}
    for s_idx, subject in enumerate(SUBJECTS):
        for q_idx in range(sequences_per_subject):
            seq_dir = osp.join(root, subject, f'2020_seq_{q_idx:02d}')
            side = 'left' if ('left', s_idx, q_idx) in special else 'right'
            os.makedirs(seq_dir, exist_ok=True)
            with open(osp.join(seq_dir, 'meta.yml'), 'w') as f:
                yaml.safe_dump(dict(num_frames=frames, mano_sides=[side], mano_calib=['calibA'],
                                    ycb_ids=[1], ycb_grasp_ind=0, serials=list(SERIALS)), f)
            for c_idx, serial in enumerate(SERIALS):
                os.makedirs(osp.join(seq_dir, serial), exist_ok=True)
                for frame in range(frames):
                    joints, _ = random_hand(rng)
                    pose_m = rng.normal(0, 0.3, (1, 51)).astype(np.float32)
                    kind = special.get((s_idx, q_idx, c_idx, frame))
                    if kind == 'no_hand':
                        joints[:] = -1
                        pose_m[:] = 0
                    elif kind == 'out_of_view':
                        joints[:, 0] += 0.6  # ~720 px to the right: outside the 640 px image
                    np.savez(osp.join(seq_dir, serial, f'labels_{frame:06d}.npz'),
                             seg=np.zeros((4, 4), np.uint8), pose_y=np.zeros((1, 3, 4)),
                             pose_m=pose_m, joint_3d=joints[None],
                             joint_2d=np.zeros((1, 21, 2), np.float32))
                    image = osp.join(seq_dir, serial, f'color_{frame:06d}.jpg')
                    if with_images and (subjects_with_images is None
                                        or s_idx in subjects_with_images):
                        draw_joints(image, joints, DEX_K, (640, 480))
                    else:  # an empty placeholder: the dataset checks that images exist
                        open(image, 'wb').close()
                    labels[(s_idx, q_idx, c_idx, frame)] = (joints, pose_m[0])
    return labels


def write_ho3d(root, split='train', sequences=('ABF10', 'MC1'), frames=2, seed=0):
    """HO-3D v2 layout; returns {name: meta} with the OpenGL, HO-3D-order labels written."""
    rng = np.random.default_rng(seed)
    K = np.array([[614.0, 0, 312.0], [0, 615.0, 238.0], [0, 0, 1]], np.float32)
    metas, names = {}, []
    for seq in sequences:
        for sub in ('rgb', 'meta'):
            os.makedirs(osp.join(root, split, seq, sub), exist_ok=True)
        for i in range(frames):
            frame = f'{i:04d}'
            joints_cam, _ = random_hand(rng)
            joints_gl = joints_cam * np.array([1, -1, -1], np.float32)
            # write in HO-3D order: position j of the file holds OpenPose joint inv[j]
            ho3d_order = np.empty_like(joints_gl)
            ho3d_order[list(MANO_TIPS_TO_OPENPOSE)] = joints_gl
            meta = dict(camMat=K, objName='006_mustard_bottle', objRot=np.zeros(3),
                        objTrans=np.zeros(3))
            if split == 'train':
                meta.update(handJoints3D=ho3d_order, handPose=rng.normal(0, 0.2, 48),
                            handBeta=rng.normal(0, 1, 10), handTrans=joints_gl[0])
            else:
                meta.update(handJoints3D=joints_gl[0], handBoundingBox=[100.0, 120, 260, 300],
                            handPose=None, handBeta=None, handTrans=None)
            with open(osp.join(root, split, seq, 'meta', f'{frame}.pkl'), 'wb') as f:
                pickle.dump(meta, f, protocol=2)
            draw_joints(osp.join(root, split, seq, 'rgb', f'{frame}.png'), joints_cam, K,
                        (640, 480))
            names.append(f'{seq}/{frame}')
            metas[f'{seq}/{frame}'] = meta
    with open(osp.join(root, f'{split}.txt'), 'w') as f:
        f.write('\n'.join(names) + '\n')
    return metas


class FakeHandModel(nn.Module):
    """Stand-in with MANO's interface: vertices = template + transl + pose[0, :3] (so tests
    can read back the pose and translation a dataset passed)."""

    def __init__(self, side='right'):
        super().__init__()
        self.side = side
        gen = torch.Generator().manual_seed(0)
        self.register_buffer('v_template', torch.rand(778, 3, generator=gen) * 0.01)
        self.register_buffer('pca_components', torch.randn(45, 45, generator=gen))
        self.register_buffer('pca_mean', torch.randn(45, generator=gen))
        self.calls = []

    def forward(self, pose=None, betas=None, transl=None, pca_pose=None):
        self.calls.append(dict(pose=pose.clone(), betas=betas.clone(), transl=transl.clone()))
        vertices = self.v_template[None] + transl[:, None] + pose[:, None, :3]
        return SimpleNamespace(vertices=vertices)



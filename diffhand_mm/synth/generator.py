"""SynthHand: random hands of our open hand model, rendered over procedural clutter.

One sample is a pure function of ``(seed, split, index, version)``:

- the geometry (finger pose, shape, view, camera, distance, placement, occluders) comes from
  the stream ``SeedSequence([seed, split, index, 0])`` and the finger-pose block of the index;
- the appearance (skin tone, light, background, blur, sensor noise) comes from
  ``SeedSequence([seed, split, index, 1, version])``, so the versions of a training sample
  (FreiHAND's ``gs, hom, sample, auto``) show the same hand, mask and labels in new colours.

Finger poses come from :class:`~diffhand_mm.hand.HandPoseSampler` in blocks of
``pose_block_size`` (a call costs nearly as much for 1 pose as for 256); a block is drawn on
first use and cached, so any access order costs one block per ``pose_block_size`` samples.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Tuple

import cv2
import numpy as np
import torch
from scipy.spatial.transform import Rotation

from diffhand_mm.hand import HandPoseSampler, OpenHandModel
from diffhand_mm.render import cap_holes, render_mesh
from .appearance import (paint_occluders, pixel_noise, random_background, random_light,
                         random_occluders, random_skin_colors)

SPLIT_CODES = {'training': 0, 'evaluation': 1}
# View families (probabilities): the hand's palm, back or side towards the camera, or any.
VIEW_PROBABILITIES = {'palm': 0.3, 'back': 0.3, 'side': 0.25, 'extreme': 0.15}
_FINGERS_UP = Rotation.from_euler('z', 180, degrees=True)   # canonical fingers +y -> image up


@dataclass
class SynthSample:
    """One rendered sample. Arrays are numpy; 3D quantities in metres, camera frame.

    Attributes:
        image: (H,W,3) uint8 BGR.
        mask: (H,W) bool visible hand pixels (silhouette minus occluders).
        hand_mask: (H,W) bool full hand silhouette.
        occluder_mask: (H,W) bool pixels covered by an occluder.
        depth: (H,W) float32 z in metres of the hand or occluder surface, 0 on background.
        K: (3,3) float32 intrinsics (pixel centres at integers).
        joints: (21,3) float32 OpenPose/FreiHAND order.
        vertices: (778,3) float32.
        pose: (48,) float32 axis-angle of OUR hand model (3 global orientation + 45 fingers).
        betas: (10,) float32 shape coefficients of OUR hand model.
        mano: (61,) float32 FreiHAND-style vector: pose, betas, uv_root (projection of joint 9,
            the middle finger's MCP, FreiHAND's root), scale = mean focal / z of joint 9.
        bbox: (4,) float32 x1, y1, x2, y2 of the projected vertices (tight).
        view: view family name.
    """
    image: np.ndarray
    mask: np.ndarray
    hand_mask: np.ndarray
    occluder_mask: np.ndarray
    depth: np.ndarray
    K: np.ndarray
    joints: np.ndarray
    vertices: np.ndarray
    pose: np.ndarray
    betas: np.ndarray
    mano: np.ndarray
    bbox: np.ndarray
    view: str


def _rng(*entropy) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(entropy))))


class _single_thread:
    """Run torch on one thread: identical bits whatever the caller's thread setting."""

    def __enter__(self):
        self.threads = torch.get_num_threads()
        torch.set_num_threads(1)

    def __exit__(self, *exc):
        torch.set_num_threads(self.threads)


class SynthHandGenerator:
    """Renders SynthHand samples.

    Args:
        image_size: side of the square images in pixels.
        seed: dataset seed.
        focal_range: focal length range in pixels (both axes equal).
        fill_range: range of the hand box's larger side as a fraction of the image side.
        occluder_probability: chance that a sample has occluders.
        max_occluded_fraction: most of the hand mask occluders may hide.
        beta_std: standard deviation of the shape coefficients (clipped at 2.5 std).
        pose_block_size: finger poses drawn per sampler call. Drawn blocks stay cached
            (180 bytes per sample: 6 MB for 32,560 samples, per worker process).
    """

    def __init__(self,
                 image_size: int = 224,
                 seed: int = 0,
                 focal_range: Tuple[float, float] = (350.0, 700.0),
                 fill_range: Tuple[float, float] = (0.4, 0.8),
                 occluder_probability: float = 0.5,
                 max_occluded_fraction: float = 0.4,
                 beta_std: float = 1.0,
                 pose_block_size: int = 256):
        if not 0 < fill_range[0] <= fill_range[1] < 1:
            raise ValueError(f'SynthHandGenerator: fill_range must satisfy 0 < lo <= hi < 1, '
                             f'got {fill_range}')
        self.image_size = int(image_size)
        self.seed = int(seed)
        self.focal_range = focal_range
        self.fill_range = fill_range
        self.occluder_probability = occluder_probability
        self.max_occluded_fraction = max_occluded_fraction
        self.beta_std = beta_std
        self.pose_block_size = pose_block_size
        self.hand_model = OpenHandModel(side='right', flat_hand_mean=True).eval()
        self.faces = self.hand_model.faces.numpy()
        # The hand is open at the wrist; capping the hole closes it, so the renderer can cull
        # back faces (half the work) without showing the background through the wrist.
        cap_faces, self._holes = cap_holes(self.faces, self.hand_model.num_vertices)
        self._closed_faces = np.concatenate([self.faces, cap_faces])
        self.pose_sampler = HandPoseSampler(self.hand_model)
        self._pose_blocks: Dict[Tuple[int, int], np.ndarray] = {}

    def finger_pose(self, split: str, index: int) -> np.ndarray:
        """(45,) float32 finger axis-angle pose of sample ``index`` (joint 0 excluded)."""
        block, offset = divmod(index, self.pose_block_size)
        key = (SPLIT_CODES[split], block)
        if key not in self._pose_blocks:
            block_seed = int(np.random.SeedSequence([self.seed, key[0], block, 2])
                             .generate_state(1)[0])
            with _single_thread(), torch.no_grad():
                poses = self.pose_sampler(self.pose_block_size, seed=block_seed)
            self._pose_blocks[key] = poses[:, 1:].reshape(self.pose_block_size, 45).numpy()
        return self._pose_blocks[key][offset]

    def _view_rotation(self, rng) -> Tuple[Rotation, str]:
        names = list(VIEW_PROBABILITIES)
        view = names[int(rng.choice(len(names), p=list(VIEW_PROBABILITIES.values())))]
        if view == 'extreme':
            return Rotation.from_quat(rng.normal(size=4)), view
        turn = {'back': 0.0, 'palm': 180.0, 'side': float(rng.choice([-90.0, 90.0]))}[view]
        jitter = Rotation.from_euler('zxy', [rng.uniform(-100, 100), rng.uniform(-35, 35),
                                             rng.uniform(-35, 35)], degrees=True)
        return jitter * Rotation.from_euler('y', turn, degrees=True) * _FINGERS_UP, view

    def _place(self, rng, vertices: np.ndarray, focal: float, centre: np.ndarray) -> np.ndarray:
        """Translation putting the hand at a random fill and position fully inside the image."""
        size = self.image_size
        extent = float((vertices[:, :2].max(0) - vertices[:, :2].min(0)).max())
        fill = rng.uniform(*self.fill_range)
        depth = focal * extent / (fill * size) - vertices[:, 2].min()
        transl = np.array([0.0, 0.0, depth]) - np.r_[vertices[:, :2].mean(0), 0.0]
        target_u = rng.uniform(0, 1, 2)  # where the box sits within its free range
        margin = 2.0
        for _ in range(20):
            points = vertices + transl
            uv = focal * points[:, :2] / points[:, 2:3] + centre
            lo, hi = uv.min(0), uv.max(0)
            free = (size - 1 - 2 * margin) - (hi - lo)
            if (free < 0).any():
                transl[2] *= 1.1          # too big after perspective: step back
                continue
            shift = margin + target_u * free - lo
            if np.abs(shift).max() < 0.25:
                return transl
            transl[:2] += shift * float(np.median(points[:, 2])) / focal
        raise RuntimeError('SynthHandGenerator: could not place the hand inside the image')

    def sample(self, index: int, split: str = 'training', version: int = 0) -> SynthSample:
        """Render sample ``index`` of ``split`` in appearance ``version`` (0..3)."""
        if split not in SPLIT_CODES:
            raise ValueError(f'SynthHandGenerator: split must be one of {list(SPLIT_CODES)}, '
                             f'got {split!r}')
        size = self.image_size
        geo = _rng(self.seed, SPLIT_CODES[split], index, 0)
        look = _rng(self.seed, SPLIT_CODES[split], index, 1, version)

        rotation, view = self._view_rotation(geo)
        betas = np.clip(geo.normal(0, self.beta_std, 10), -2.5 * self.beta_std,
                        2.5 * self.beta_std).astype(np.float32)
        pose = np.concatenate([rotation.as_rotvec(), self.finger_pose(split, index)])
        pose = pose.astype(np.float32)
        with _single_thread(), torch.no_grad():
            out = self.hand_model(pose=torch.from_numpy(pose)[None],
                                  betas=torch.from_numpy(betas)[None])
        vertices = out.vertices[0].numpy().astype(np.float64)
        joints = out.joints[0].numpy().astype(np.float64)

        focal = geo.uniform(*self.focal_range)
        centre = (size - 1) / 2.0 + geo.normal(0, 2.0, 2)
        K = np.array([[focal, 0, centre[0]], [0, focal, centre[1]], [0, 0, 1]])
        transl = self._place(geo, vertices, focal, centre)
        vertices, joints = vertices + transl, joints + transl
        K32, vertices32, joints32 = (a.astype(np.float32) for a in (K, vertices, joints))

        colors = random_skin_colors(look, vertices - transl)
        centres = [vertices32[hole].mean(0) for hole in self._holes]
        render = render_mesh(np.concatenate([vertices32, centres]), self._closed_faces, K32,
                             (size, size),
                             vertex_colors=np.concatenate([colors, [colors[h].mean(0)
                                                                    for h in self._holes]]),
                             light=random_light(look), cull_backfaces=True)
        hand_mask = render.mask[0].numpy()
        hand_depth = render.depth[0].numpy()
        uvw = vertices32.astype(np.float64) @ K32.astype(np.float64).T
        uv = uvw[:, :2] / uvw[:, 2:]
        bbox = np.r_[uv.min(0), uv.max(0)].astype(np.float32)

        labels = random_occluders(geo, hand_mask, bbox, self.max_occluded_fraction,
                                  self.occluder_probability)
        occluder_mask = labels > 0
        depth = hand_depth
        if occluder_mask.any():
            # Occluders are flat cut-outs between the camera and the hand.
            nearest = float(hand_depth[hand_mask].min())
            occluder_depth = np.r_[0.0, nearest * geo.uniform(0.6, 0.95, int(labels.max()))]
            depth = np.where(occluder_mask, occluder_depth[labels], hand_depth)
        depth = depth.astype(np.float32)

        image = random_background(look, (size, size))
        # Composite the hand inside its (integer) box only.
        x1, y1 = np.floor(bbox[:2]).astype(int)
        x2, y2 = np.ceil(bbox[2:]).astype(int) + 1
        box = (slice(y1, y2), slice(x1, x2))
        hand_bgr = render.rgb[0].numpy()[box][..., ::-1] * np.float32(255.0)
        image[box] = np.where(hand_mask[box][..., None], hand_bgr, image[box])
        paint_occluders(geo, image, labels)
        sigma = look.uniform(0.0, 1.0)
        if sigma > 0.3:
            image = cv2.GaussianBlur(image, (0, 0), sigma)
        image += pixel_noise(look, (size, size), 3) * np.float32(look.uniform(0, 4))
        image = np.clip(np.rint(image), 0, 255).astype(np.uint8)

        uv_root = uv_of(joints32[9], K32)
        scale = 0.5 * (K32[0, 0] + K32[1, 1]) / joints32[9, 2]
        mano = np.concatenate([pose, betas, uv_root, [scale]]).astype(np.float32)
        return SynthSample(image=image, mask=hand_mask & ~occluder_mask, hand_mask=hand_mask,
                           occluder_mask=occluder_mask, depth=depth, K=K32, joints=joints32,
                           vertices=vertices32, pose=pose, betas=betas, mano=mano, bbox=bbox,
                           view=view)


def uv_of(point: np.ndarray, K: np.ndarray) -> np.ndarray:
    """(2,) pixel of a (3,) camera-frame point."""
    p = K.astype(np.float64) @ point.astype(np.float64)
    return p[:2] / p[2]


def describe(seed: int, split: str, index: int, version: int = 0,
             extra: Optional[str] = None) -> str:
    """A readable identifier of a generated sample, e.g. ``synthhand://seed0/training/12/v0``."""
    tail = f'/{extra}' if extra else ''
    return f'synthhand://seed{seed}/{split}/{index}/v{version}{tail}'

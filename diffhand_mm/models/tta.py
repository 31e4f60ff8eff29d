"""Test-time augmentation (TTA) for DiffHand, like MeshGraphormer's multiscale test.

The paper tests FreiHAND "with test-time augmentation like MeshGraphormer". Graphormer's
multiscale test (``src/tools/run_hand_multiscale.py`` of microsoft/MeshGraphormer) predicts
each test image under 19 in-plane rotations (0, +-10, ..., +-90 degrees) times 5 scales
(0.7, 0.8, 0.9, 1.0, 1.1), i.e. 95 passes, Procrustes-aligns every prediction to the
un-augmented one and averages them. :data:`GRAPHORMER_TTA` is that set; the sets are
configurable.

Every augmentation is a change of the virtual camera that looks at the crop, so its effect on
the prediction can be undone exactly before the alignment:

- rotation by ``angle`` about the viewing ray d through the crop centre
  (d = K^-1 (c, 1), c = ((W-1)/2, (H-1)/2)): the camera frame turns by R_d, points become
  R_d X and pixels move by the homography ``K R_d K^-1``, which keeps the crop centre fixed.
  When the principal point is the crop centre (e.g. a whole-image crop with the default K),
  d is the camera z axis and this is the plain image rotation about the principal point.
  Rotating about the ray through the crop centre (not about the optical axis through a
  principal point that may lie far outside the crop) keeps the hand inside the crop.
  Undone by ``R_d^T`` on the predicted root-relative vertices.
- scale ``s`` about the crop centre: the intrinsics become ``S K`` (a zoom), the 3D frame is
  unchanged, so root-relative vertices need no correction.

Then, with ``align='procrustes'`` (default, Graphormer's rule), each pass's mesh is
similarity-aligned (rotation, uniform scale, translation; :func:`similarity_align`) to the
un-augmented pass's mesh, which removes what the network got wrong about the augmentation
(a rotation it did not follow exactly, a scale it read differently); ``align='none'``
averages the un-rotated meshes as they are. The average (a plain mean over the passes;
Graphormer counts the un-augmented pass twice, which with 95 passes changes its weight from
1/95 to 2/96) is placed in the camera frame with the un-augmented pass's camera. The crop is
warped after the data preprocessor (mean/std), with pixels from outside filled with the
normalised value of black, as ``HandCrop`` fills them (and of every other input channel's
zero, e.g. an infinitely far depth).

Cost: one encoder pass and one DDIM sampling per augmentation and hypothesis, i.e. ~95 times
a plain prediction for :data:`GRAPHORMER_TTA`. The passes run batched, ``batch_passes``
augmented crops per encoder + sampler call (None: all of a batch's at once); measured costs
in docs/inference.md.

Usage: ``model.test_cfg.tta = dict(rotations=[-15, 0, 15], scales=[0.9, 1.0, 1.1])``
(degrees; the product of both lists is used), e.g. from ``tools/test.py`` with
``--cfg-options model.test_cfg.tta.rotations=[-15,0,15] model.test_cfg.tta.scales=[1.0]``.
"""
import math
from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from diffhand_mm.models.heads.placement import pack_predictions
from diffhand_mm.models.heads.sample_fields import stack_crop_intrinsics, stack_input_sizes

#: MeshGraphormer's multiscale test: 19 rotations x 5 scales = 95 passes.
GRAPHORMER_TTA = dict(rotations=(0.0, ) + tuple(float(sign * step) for step in range(10, 100, 10)
                                                for sign in (1, -1)),
                      scales=(0.7, 0.8, 0.9, 1.0, 1.1), align='procrustes')

#: What ``tools/demo.py --tta`` uses: 3 rotations x 3 scales = 9 passes.
DEFAULT_TTA = dict(rotations=(-15.0, 0.0, 15.0), scales=(0.9, 1.0, 1.1), align='procrustes')

_TTA_KEYS = ('rotations', 'scales', 'align', 'batch_passes')
_ALIGNMENTS = ('procrustes', 'none')


def augmentation_list(tta_cfg: dict) -> List[Tuple[float, float]]:
    """(angle_deg, scale) pairs: the identity first, then the rest of rotations x scales.

    Args:
        tta_cfg: ``rotations`` (degrees), ``scales``, ``align`` ('procrustes' or 'none'),
            ``batch_passes`` (positive int or None).

    Raises:
        ValueError: a scale is not positive, an unknown key or alignment is given, or
            ``batch_passes`` is not positive.
    """
    unknown = set(tta_cfg) - set(_TTA_KEYS)
    if unknown:
        raise ValueError(f'TTA: unknown keys {sorted(unknown)}; use {", ".join(_TTA_KEYS)}.')
    if tta_cfg.get('align', 'procrustes') not in _ALIGNMENTS:
        raise ValueError(f"TTA: align must be one of {_ALIGNMENTS}, got {tta_cfg['align']!r}.")
    batch_passes = tta_cfg.get('batch_passes')
    if batch_passes is not None and int(batch_passes) < 1:
        raise ValueError(f'TTA: batch_passes must be a positive number of crops or None, got '
                         f'{batch_passes}.')
    rotations = [float(a) for a in tta_cfg.get('rotations', (0.0,))]
    scales = [float(s) for s in tta_cfg.get('scales', (1.0,))]
    if any(s <= 0 for s in scales):
        raise ValueError(f'TTA: scales must be > 0, got {scales}.')
    pairs = [(0.0, 1.0)]
    pairs += [(a, s) for a in rotations for s in scales if (a, s) != (0.0, 1.0)]
    return pairs


def axis_angle_matrix(axis: Tensor, angle: float) -> Tensor:
    """Rotation matrices (B, 3, 3) by ``angle`` radians about unit axes (B, 3) (Rodrigues).

    For the axis (0, 0, 1) this is ``[[c, -s, 0], [s, c, 0], [0, 0, 1]]``: with the camera's
    y axis pointing down, a positive angle turns the image clockwise on screen.
    """
    x, y, z = axis.unbind(-1)
    zero = torch.zeros_like(x)
    cross = torch.stack([zero, -z, y, z, zero, -x, -y, x, zero], -1).reshape(-1, 3, 3)
    eye = torch.eye(3, dtype=axis.dtype, device=axis.device).expand_as(cross)
    return eye + math.sin(angle) * cross + (1 - math.cos(angle)) * cross @ cross


def crop_augmentation(cam_K: Tensor, input_size: Tensor, angle_deg: float,
                      scale: float) -> Tuple[Tensor, Tensor, Tensor]:
    """The image map and 3D rotation of one augmentation, per sample.

    Args:
        cam_K: (B, 3, 3) intrinsics of the input crop.
        input_size: (B, 2) crop size (W, H) in pixels.
        angle_deg: Rotation about the viewing ray through the crop centre, degrees.
        scale: Zoom about the crop centre (> 1 enlarges the hand).

    Returns:
        tuple: ``image_map`` (B, 3, 3), crop pixels -> augmented pixels (a homography);
        ``rotation`` (B, 3, 3), points in the augmented camera frame = rotation @ points;
        ``augmented_K`` (B, 3, 3), intrinsics of the augmented crop.
    """
    K = cam_K.double()
    centre = (input_size.double() - 1) / 2  # (B, 2)
    ones = torch.ones_like(centre[:, :1])
    ray = torch.linalg.solve(K, torch.cat([centre, ones], -1)[..., None])[..., 0]
    rotation = axis_angle_matrix(ray / ray.norm(dim=-1, keepdim=True), math.radians(angle_deg))
    zoom = torch.eye(3, dtype=K.dtype).repeat(len(K), 1, 1)
    zoom[:, :2, :2] *= scale
    zoom[:, :2, 2] = (1 - scale) * centre
    image_map = zoom @ K @ rotation @ torch.linalg.inv(K)
    return image_map.float(), rotation.float(), (zoom @ K).float()


def warp_images(images: Tensor, image_map: Tensor, fill: Tensor) -> Tensor:
    """Warp images (B, C, H, W) by homographies (B, 3, 3) (source pixels -> output pixels).

    Bilinear; pixel centres at integers; output pixels whose source lies outside get ``fill``
    (C,) (e.g. the normalised value of black).
    """
    batch, _, height, width = images.shape
    ys, xs = torch.meshgrid(torch.arange(height, dtype=torch.float64),
                            torch.arange(width, dtype=torch.float64), indexing='ij')
    pixels = torch.stack([xs, ys, torch.ones_like(xs)], -1).reshape(-1, 3)
    source = pixels @ torch.linalg.inv(image_map.double()).transpose(1, 2)  # (B, HW, 3)
    source = source[..., :2] / source[..., 2:]
    grid = torch.stack([2 * source[..., 0] / (width - 1) - 1,
                        2 * source[..., 1] / (height - 1) - 1], -1)
    grid = grid.reshape(batch, height, width, 2).to(images)
    fill = fill.to(images).reshape(1, -1, 1, 1)
    warped = F.grid_sample(images - fill, grid, mode='bilinear', padding_mode='zeros',
                           align_corners=True)
    return warped + fill


def normalized_black(data_preprocessor) -> Tensor:
    """What a black pixel becomes after the preprocessor: ``-mean / std`` (C,), else zeros."""
    mean = getattr(data_preprocessor, 'mean', None)
    std = getattr(data_preprocessor, 'std', None)
    if mean is None or std is None:
        return torch.zeros(3)
    return (-mean / std).reshape(-1).float().cpu()


def similarity_transform(source: Tensor, target: Tensor) -> Tuple[Tensor, Tensor, Tensor]:
    """The similarity ``x -> s R x + t`` that best moves ``source`` onto ``target``.

    Umeyama's closed form (least squares) with a proper rotation (det R = +1; a reflection
    would turn a right hand into a left one). Batched; computed in float64.

    Args:
        source: (N, P, 3) points to move.
        target: (N, P, 3) points to move them onto.

    Returns:
        tuple: ``scale`` (N,), ``rotation`` (N, 3, 3), ``translation`` (N, 3), float64; apply
        with :func:`apply_similarity`.
    """
    x, y = source.double(), target.double()
    x_mean, y_mean = x.mean(1), y.mean(1)
    x, y = x - x_mean[:, None], y - y_mean[:, None]
    u, singular, vt = torch.linalg.svd(y.transpose(1, 2) @ x)  # covariance, up to 1/P
    sign = torch.ones_like(singular)
    sign[:, 2] = torch.sign(torch.det(u @ vt))
    rotation = u @ torch.diag_embed(sign) @ vt
    scale = (singular * sign).sum(-1) / x.pow(2).sum((1, 2)).clamp(min=1e-12)
    translation = y_mean - scale[:, None] * (x_mean[:, None] @ rotation.transpose(1, 2))[:, 0]
    return scale, rotation, translation


def apply_similarity(points: Tensor, transform: Tuple[Tensor, Tensor, Tensor]) -> Tensor:
    """``s R x + t`` for points (N, ..., 3) and a batch of N transforms; dtype of ``points``."""
    scale, rotation, translation = transform
    flat = points.double().reshape(points.shape[0], -1, 3)
    moved = scale[:, None, None] * flat @ rotation.transpose(1, 2) + translation[:, None]
    return moved.reshape(points.shape).to(points.dtype)


def _sample_passes(model, inputs: Tensor, augmentations: List[Tuple[float, float]],
                   cam_K: Tensor, input_size: Tensor, fill: Tensor, test_cfg: dict,
                   num_hypotheses: int, batch_passes: Optional[int]):
    """Root-relative hypotheses of every augmented crop, un-rotated, the one the head's
    ``hypothesis_selector`` chose in each (on that crop's features, as ``predict`` does), and
    the un-augmented pass's features.

    Returns:
        tuple: ``hypotheses`` (A, B, K, V, 3) and ``selected`` (A, B, V, 3) metres in the
        un-augmented camera's axes; ``identity_feats`` (feature map, embedding) of the
        un-augmented crops.
    """
    head = model.head
    batch = inputs.shape[0]
    per_call = max(1, (batch_passes or len(augmentations) * batch) // batch)
    hypotheses, selected, identity_feats = [], [], None
    for start in range(0, len(augmentations), per_call):
        chunk = augmentations[start:start + per_call]
        crops, rotations = [], []
        for angle, scale in chunk:
            image_map, rotation, _ = crop_augmentation(cam_K.cpu(), input_size.cpu(), angle,
                                                       scale)
            crops.append(inputs if (angle, scale) == (0.0, 1.0)
                         else warp_images(inputs, image_map.to(inputs.device), fill))
            rotations.append(rotation.to(inputs.device))
        feats = model.extract_feat(torch.cat(crops))
        if start == 0:  # the un-augmented pass is always the first
            identity_feats = (feats[0][:batch], feats[1][:batch])
        sampled = head.sample_vertices(feats, num_hypotheses, test_cfg.get('sampling_steps'),
                                       test_cfg.get('eta'),
                                       accelerate=test_cfg.get('accelerate'))  # (a*B, K, V, 3)
        chosen = (head.hypothesis_selector(feats, sampled, head.regress_joints)[0]
                  if num_hypotheses > 1 else sampled[:, 0])  # (a*B, V, 3)
        sampled = sampled.reshape(len(chunk), batch, *sampled.shape[1:])
        chosen = chosen.reshape(len(chunk), batch, *chosen.shape[1:])
        # Augmented frame: x' = R x, i.e. rows x'^T = x^T R^T; undo with rows x^T = x'^T R.
        undo = torch.stack(rotations)
        hypotheses.append(torch.einsum('abkvi,abij->abkvj', sampled, undo))
        selected.append(torch.einsum('abvi,abij->abvj', chosen, undo))
    return torch.cat(hypotheses), torch.cat(selected), identity_feats


@torch.no_grad()
def predict_with_tta(model, inputs: Tensor, data_samples: Sequence,
                     test_cfg: dict) -> List[InstanceData]:
    """``DiffusionMeshHead.predict`` averaged over crop augmentations (see the module doc).

    Args:
        model: A ``DiffHand`` (``extract_feat``, ``head``, ``data_preprocessor``).
        inputs: Preprocessed crops (B, C, H, W).
        data_samples: PoseDataSamples with metainfo ``input_size`` and ``cam_K``.
        test_cfg: ``tta`` (rotations, scales, align, batch_passes) plus the usual
            ``sampling_steps``, ``eta``, ``num_hypotheses``.

    Returns:
        list[InstanceData]: as ``DiffusionMeshHead.predict`` (crop camera frame):
        ``vertices``, ``joints_3d``, ``joints_2d`` of the averaged mesh placed with the
        ``camera`` of the un-augmented pass, and with ``num_hypotheses > 1``
        ``vertex_uncertainty`` (1, V) metres, the RMS distance of all hypotheses of all
        augmentations (mapped back and aligned) to their mean.
    """
    head = model.head
    tta_cfg = test_cfg['tta']
    augmentations = augmentation_list(tta_cfg)
    num_hypotheses = int(test_cfg.get('num_hypotheses', head.num_hypotheses))
    cam_K = stack_crop_intrinsics(data_samples, inputs.device)
    input_size = stack_input_sizes(data_samples, inputs.device)
    hypotheses, selected, identity_feats = _sample_passes(
        model, inputs, augmentations, cam_K, input_size,
        normalized_black(model.data_preprocessor), test_cfg, num_hypotheses,
        tta_cfg.get('batch_passes'))
    if tta_cfg.get('align', 'procrustes') == 'procrustes':
        # One transform per pass and image, found on the pass's mesh and applied to all its
        # hypotheses (the un-augmented pass's is the identity).
        transform = similarity_transform(selected.flatten(0, 1),
                                         selected[:1].expand_as(selected).flatten(0, 1))
        selected = apply_similarity(selected.flatten(0, 1), transform).reshape(selected.shape)
        hypotheses = apply_similarity(hypotheses.flatten(0, 1),
                                      transform).reshape(hypotheses.shape)
    placement = head.place(identity_feats, selected.mean(0), cam_K, input_size)
    spread = None
    if num_hypotheses > 1:
        pooled = hypotheses.transpose(0, 1).flatten(1, 2)  # (B, A*K, V, 3)
        spread = (pooled - pooled.mean(1, keepdim=True)).pow(2).sum(-1).mean(1).sqrt()
    return pack_predictions(placement, spread)

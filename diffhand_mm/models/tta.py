"""Test-time augmentation (TTA) for DiffHand: in-plane rotations and scales of the input crop.

Every augmentation is a change of the virtual camera that looks at the crop, so its effect on
the prediction can be undone exactly:

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

Predictions of all augmentations (the un-augmented pass is always one of them, and always
the first) are mapped back and their root-relative vertices averaged; the translation comes
from the un-augmented pass. The crop is warped after the data preprocessor (mean/std), with
pixels from outside filled with the normalised value of black, as ``HandCrop`` fills them.

Usage: ``model.test_cfg.tta = dict(rotations=[-15, 0, 15], scales=[0.9, 1.0, 1.1])``
(degrees; the product of both lists is used), e.g. from ``tools/test.py`` with
``--cfg-options model.test_cfg.tta.rotations=[-15,0,15] model.test_cfg.tta.scales=[1.0]``.
"""
import math
from typing import List, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.structures import InstanceData
from torch import Tensor

from diffhand_mm.models.heads.hypotheses import select_consensus_hypothesis
from diffhand_mm.models.heads.placement import pack_predictions
from diffhand_mm.models.heads.sample_fields import stack_crop_intrinsics, stack_input_sizes

#: What ``tools/demo.py --tta`` uses: 3 rotations x 3 scales = 9 passes.
DEFAULT_TTA = dict(rotations=(-15.0, 0.0, 15.0), scales=(0.9, 1.0, 1.1))


def augmentation_list(tta_cfg: dict) -> List[Tuple[float, float]]:
    """(angle_deg, scale) pairs: the identity first, then the rest of rotations x scales.

    Raises:
        ValueError: a scale is not positive, or an unknown key is given.
    """
    unknown = set(tta_cfg) - {'rotations', 'scales'}
    if unknown:
        raise ValueError(f'TTA: unknown keys {sorted(unknown)}; use rotations (degrees) and '
                         'scales.')
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


@torch.no_grad()
def predict_with_tta(model, inputs: Tensor, data_samples: Sequence,
                     test_cfg: dict) -> List[InstanceData]:
    """``DiffusionMeshHead.predict`` averaged over crop augmentations (see the module doc).

    Args:
        model: A ``DiffHand`` (``extract_feat``, ``head``, ``data_preprocessor``).
        inputs: Preprocessed crops (B, 3, H, W).
        data_samples: PoseDataSamples with metainfo ``input_size`` and ``cam_K``.
        test_cfg: ``tta`` (rotations, scales) plus the usual ``sampling_steps``, ``eta``,
            ``num_hypotheses``.

    Returns:
        list[InstanceData]: as ``DiffusionMeshHead.predict`` (crop camera frame):
        ``vertices``, ``joints_3d``, ``joints_2d``, ``camera`` of the un-augmented pass, and
        with ``num_hypotheses > 1`` ``vertex_uncertainty`` (1, V) metres, the RMS distance of
        all hypotheses of all augmentations (mapped back) to their mean.
    """
    head = model.head
    augmentations = augmentation_list(test_cfg['tta'])
    num_hypotheses = int(test_cfg.get('num_hypotheses', head.num_hypotheses))
    batch = inputs.shape[0]
    device = inputs.device
    cam_K = stack_crop_intrinsics(data_samples, device)
    input_size = stack_input_sizes(data_samples, device)
    fill = normalized_black(model.data_preprocessor)

    warped, rotations = [], []
    for angle, scale in augmentations:
        image_map, rotation, _ = crop_augmentation(cam_K.cpu(), input_size.cpu(), angle, scale)
        warped.append(inputs if (angle, scale) == (0.0, 1.0)
                      else warp_images(inputs, image_map.to(device), fill))
        rotations.append(rotation.to(device))
    feats = model.extract_feat(torch.cat(warped))
    hypotheses = head.sample_vertices(feats, num_hypotheses, test_cfg.get('sampling_steps'),
                                      test_cfg.get('eta'))  # (A*B, K, V, 3)
    hypotheses = hypotheses.reshape(len(augmentations), batch, *hypotheses.shape[1:])
    # Augmented frame: x' = R x, i.e. rows x'^T = x^T R^T; undo with rows x^T = x'^T R.
    undone = torch.einsum('abkvi,abij->abkvj', hypotheses, torch.stack(rotations))
    selected = torch.stack([select_consensus_hypothesis(h)[0] for h in undone])  # (A, B, V, 3)
    identity_feats = (feats[0][:batch], feats[1][:batch])
    placement = head.place(identity_feats, selected.mean(0), cam_K, input_size)
    spread = None
    if num_hypotheses > 1:
        pooled = undone.transpose(0, 1).flatten(1, 2)  # (B, A*K, V, 3)
        spread = (pooled - pooled.mean(1, keepdim=True)).pow(2).sum(-1).mean(1).sqrt()
    return pack_predictions(placement, spread)

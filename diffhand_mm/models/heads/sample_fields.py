"""Reading batched labels and meta information out of PoseDataSamples, with clear errors."""
from typing import Sequence

import numpy as np
import torch
from torch import Tensor


def _to_tensor(value) -> Tensor:
    """A tensor, numpy array or nested list as a tensor (tensors are kept, not copied)."""
    return value if torch.is_tensor(value) else torch.as_tensor(np.asarray(value))


def _describe(sample, index: int) -> str:
    path = sample.metainfo.get('img_path', '<no img_path>')
    return f'data sample {index} ({path})'


def stack_gt_field(samples: Sequence, name: str, device: torch.device) -> Tensor:
    """Stack ``gt_instances.<name>`` of one instance per sample into a float32 batch.

    Args:
        samples: PoseDataSamples, each with one ground-truth instance.
        name: Field, e.g. ``'vertices'`` stored as (1, 778, 3).
        device: Target device.

    Returns:
        Tensor: (B, ...) with the leading instance axis removed.
    """
    values = []
    for i, sample in enumerate(samples):
        gt = sample.get('gt_instances')
        if gt is None or name not in gt:
            raise KeyError(f'DiffusionMeshHead: {_describe(sample, i)} has no '
                           f'gt_instances.{name} (see docs/architecture.md, section 4).')
        value = _to_tensor(gt.get(name))
        if value.shape[0] != 1:
            raise ValueError(f'DiffusionMeshHead: {_describe(sample, i)} gt_instances.{name} '
                             f'must hold exactly one instance, got shape {tuple(value.shape)}.')
        values.append(value[0].float().cpu())
    return torch.stack(values).to(device)


def stack_input_sizes(samples: Sequence, device: torch.device) -> Tensor:
    """metainfo ``input_size`` (W, H) of every sample -> (B, 2) float32 pixels."""
    sizes = []
    for i, sample in enumerate(samples):
        if 'input_size' not in sample.metainfo:
            raise KeyError(f'DiffusionMeshHead: {_describe(sample, i)} has no metainfo '
                           "'input_size' (W, H) of the network input.")
        sizes.append(_to_tensor(sample.metainfo['input_size']).float().cpu())
    return torch.stack(sizes).to(device)


def stack_crop_intrinsics(samples: Sequence, device: torch.device) -> Tensor:
    """Intrinsics of the input crop (B, 3, 3): metainfo ``cam_K``, else ``gt_instances.cam_K``."""
    matrices = []
    for i, sample in enumerate(samples):
        if 'cam_K' in sample.metainfo:
            matrix = _to_tensor(sample.metainfo['cam_K']).float().cpu()
        elif sample.get('gt_instances') is not None and 'cam_K' in sample.gt_instances:
            matrix = _to_tensor(sample.gt_instances.cam_K).float().cpu()[0]
        else:
            raise KeyError(f'DiffusionMeshHead: {_describe(sample, i)} has no cam_K (metainfo or '
                           'gt_instances); it is needed to place the mesh in the camera frame.')
        if matrix.shape != (3, 3):
            raise ValueError(f'DiffusionMeshHead: {_describe(sample, i)} cam_K must be (3, 3), '
                             f'got {tuple(matrix.shape)}.')
        matrices.append(matrix)
    return torch.stack(matrices).to(device)

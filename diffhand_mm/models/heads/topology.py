"""PointSetTopology: the head's template and topology without a hand model."""
import json
import os.path as osp
from typing import Optional, Sequence, Union

import numpy as np
import torch
from torch import nn

from diffhand_mm.registry import MODELS

ArrayOrPath = Union[str, Sequence, np.ndarray, torch.Tensor]


def _load_array(value: ArrayOrPath, name: str) -> np.ndarray:
    """An array given inline, or read from a ``.npy`` / ``.json`` file."""
    if isinstance(value, str):
        if not osp.isfile(value):
            raise FileNotFoundError(f'PointSetTopology: {name} file {value!r} does not exist.')
        if value.endswith('.npy'):
            return np.load(value)
        if value.endswith('.json'):
            with open(value) as f:
                return np.asarray(json.load(f))
        raise ValueError(f'PointSetTopology: {name} file {value!r} must be .npy or .json.')
    if isinstance(value, torch.Tensor):
        return value.detach().cpu().numpy()
    return np.asarray(value)


@MODELS.register_module()
class PointSetTopology(nn.Module):
    """What :class:`DiffusionMeshHead` needs from a hand model, for any point set.

    The head reads ``v_template`` (the points the decoder's sampling levels are built on),
    ``faces`` (for the normal loss) and ``joint_regressor_21()`` (the 21 joints it regresses
    for the joint losses, the camera and the metrics). A hand model gives all three for a mesh;
    this class gives them from a config or a data file, e.g. diffusion over the 21 hand joints
    themselves (projects/keypoint_diffusion): 21 template points, no faces, identity regressor.

    Args:
        template: (V, 3) points in metres, inline or a ``.npy`` / ``.json`` file (e.g. the mean
            root-relative joints of a training set).
        faces: (F, 3) vertex indices, or None for a point set without surface (then the head's
            normal loss must be off).
        joint_regressor: (21, V) joints from points; None means the points *are* the 21
            joints (identity; V must be 21).
    """

    def __init__(self, template: ArrayOrPath, faces: Optional[ArrayOrPath] = None,
                 joint_regressor: Optional[ArrayOrPath] = None) -> None:
        super().__init__()
        points = _load_array(template, 'template').astype(np.float32)
        if points.ndim != 2 or points.shape[1] != 3 or not np.isfinite(points).all():
            raise ValueError('PointSetTopology: template must be finite (V, 3), got '
                             f'{points.shape}.')
        num_points = points.shape[0]
        faces_array = np.zeros((0, 3), np.int64) if faces is None else \
            _load_array(faces, 'faces').astype(np.int64)
        if faces_array.ndim != 2 or faces_array.shape[1] != 3 or \
                (faces_array.size and not 0 <= faces_array.min() <= faces_array.max() < num_points):
            raise ValueError(f'PointSetTopology: faces must be (F, 3) indices below {num_points}.')
        if joint_regressor is None:
            if num_points != 21:
                raise ValueError('PointSetTopology: without a joint_regressor the template must '
                                 f'be the 21 joints, got {num_points} points.')
            regressor = np.eye(21, dtype=np.float32)
        else:
            regressor = _load_array(joint_regressor, 'joint_regressor').astype(np.float32)
            if regressor.shape != (21, num_points):
                raise ValueError(f'PointSetTopology: joint_regressor must be (21, {num_points}), '
                                 f'got {regressor.shape}.')
        self.register_buffer('v_template', torch.from_numpy(points))
        self.register_buffer('faces', torch.from_numpy(faces_array))
        self.register_buffer('regressor', torch.from_numpy(regressor))

    def joint_regressor_21(self) -> torch.Tensor:
        """(21, V) joints from points."""
        return self.regressor

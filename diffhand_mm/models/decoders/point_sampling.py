"""Farthest point sampling and the fixed vertex hierarchy of the U-shaped vertex block."""
import math
from typing import List, Tuple

import torch
from torch import Tensor, nn


def farthest_point_sample(points: Tensor, num_samples: int, start_index: int = 0) -> Tensor:
    """Greedy farthest point sampling, deterministic.

    Starts at ``start_index`` and repeatedly adds the point farthest (Euclidean) from the
    chosen set; ties go to the lowest index, so the result depends only on the input.

    Args:
        points: (N, 3).
        num_samples: M <= N.
        start_index: First chosen point.

    Returns:
        Tensor: (M,) int64 indices into ``points``, in the order chosen.
    """
    num_points = points.shape[0]
    if not 1 <= num_samples <= num_points:
        raise ValueError(f'farthest_point_sample: num_samples must be in [1, {num_points}], '
                         f'got {num_samples}.')
    if not 0 <= start_index < num_points:
        raise ValueError(f'farthest_point_sample: start_index {start_index} out of range.')
    points = points.detach().double()
    chosen = torch.empty(num_samples, dtype=torch.long)
    min_dist = torch.full((num_points,), float('inf'), dtype=torch.float64)
    current = start_index
    for i in range(num_samples):
        chosen[i] = current
        min_dist = torch.minimum(min_dist, ((points - points[current]) ** 2).sum(-1))
        current = int(torch.argmax(min_dist))  # argmax returns the first maximum
    return chosen


def nearest_indices(query: Tensor, reference: Tensor, k: int) -> Tensor:
    """Indices of the k nearest ``reference`` points of each ``query`` point.

    Args:
        query: (Q, 3). reference: (R, 3). k: <= R.

    Returns:
        Tensor: (Q, k) int64, nearest first; ties broken by lower index.
    """
    dist = torch.cdist(query.double(), reference.double())
    return torch.argsort(dist, dim=-1, stable=True)[:, :k]


class VertexHierarchy(nn.Module):
    """Fixed coarse-to-fine levels of the hand template, computed once by FPS.

    Level 0 is the full vertex set; level l keeps ``ceil(N_{l-1} / sample_rate)`` points of
    level l-1 (778 -> 195 -> 49 with the default rate 4). For each level l >= 1 three int64
    buffers (``persistent=False``: derived from the template, never saved) are kept:

    - ``sample_idx_l`` (N_l,): the FPS choice, indices into level l-1;
    - ``group_idx_l`` (N_l, group_size): each sampled point's nearest level-(l-1) points
      (nearest first, so normally itself), pooled when downsampling;
    - ``upsample_idx_l`` (N_{l-1},): each level-(l-1) point's nearest level-l point, used to
      carry coarse features back up.

    Args:
        template: Template vertices (N, 3), metres.
        sample_rate: Downsampling factor per level.
        num_levels: Number of downsamplings.
        group_size: Neighbours pooled per sampled point.
        start_index: FPS start vertex at every level.
    """

    def __init__(self, template: Tensor, sample_rate: int = 4, num_levels: int = 2,
                 group_size: int = 8, start_index: int = 0) -> None:
        super().__init__()
        if sample_rate < 2 or num_levels < 1:
            raise ValueError('VertexHierarchy: need sample_rate >= 2 and num_levels >= 1, got '
                             f'{sample_rate} and {num_levels}.')
        self.num_levels = num_levels
        points = torch.as_tensor(template, dtype=torch.float32)
        self.level_sizes: List[int] = [points.shape[0]]
        for level in range(1, num_levels + 1):
            num_coarse = math.ceil(points.shape[0] / sample_rate)
            sample_idx = farthest_point_sample(points, num_coarse, start_index)
            coarse = points[sample_idx]
            group_idx = nearest_indices(coarse, points, min(group_size, points.shape[0]))
            upsample_idx = nearest_indices(points, coarse, 1)[:, 0]
            self.register_buffer(f'sample_idx_{level}', sample_idx, persistent=False)
            self.register_buffer(f'group_idx_{level}', group_idx, persistent=False)
            self.register_buffer(f'upsample_idx_{level}', upsample_idx, persistent=False)
            self.level_sizes.append(num_coarse)
            points = coarse

    def level(self, level: int) -> Tuple[Tensor, Tensor, Tensor]:
        """(sample_idx, group_idx, upsample_idx) of level ``level`` in [1, num_levels]."""
        return (getattr(self, f'sample_idx_{level}'), getattr(self, f'group_idx_{level}'),
                getattr(self, f'upsample_idx_{level}'))

"""Sinusoidal encodings of timesteps and of image-feature positions (Vaswani et al. 2017)."""
import math

import torch
from torch import Tensor


def _frequencies(num: int, device: torch.device) -> Tensor:
    """num geometric frequencies from 1 down to 1/10000."""
    exponents = torch.arange(num, device=device, dtype=torch.float32) / num
    return torch.exp(-math.log(10000.0) * exponents)


def sinusoidal_timestep_embedding(t: Tensor, dim: int) -> Tensor:
    """Encode integer diffusion timesteps.

    Args:
        t: Timesteps (B,), any numeric dtype.
        dim: Even output width.

    Returns:
        Tensor: (B, dim) float32, ``[sin(t w_i), cos(t w_i)]``.
    """
    if dim % 2:
        raise ValueError(f'sinusoidal_timestep_embedding: dim must be even, got {dim}.')
    args = t.float()[:, None] * _frequencies(dim // 2, t.device)[None]
    return torch.cat([args.sin(), args.cos()], dim=-1)


def image_positional_encoding(height: int, width: int, dim: int, device: torch.device) -> Tensor:
    """2D sinusoidal encoding of a feature map's cells, row-major like ``flatten(2)``.

    Half of the channels encode the row, half the column, so any feature-map size works
    without learned parameters (the same decoder runs at 128 or 224 pixels).

    Args:
        height, width: Feature map size (h, w).
        dim: Output width, divisible by 4.
        device: Device of the result.

    Returns:
        Tensor: (h * w, dim) float32.
    """
    if dim % 4:
        raise ValueError(f'image_positional_encoding: dim must be divisible by 4, got {dim}.')
    freqs = _frequencies(dim // 4, device)
    rows = torch.arange(height, device=device, dtype=torch.float32)[:, None] * freqs
    cols = torch.arange(width, device=device, dtype=torch.float32)[:, None] * freqs
    row_enc = torch.cat([rows.sin(), rows.cos()], -1)[:, None].expand(height, width, dim // 2)
    col_enc = torch.cat([cols.sin(), cols.cos()], -1)[None].expand(height, width, dim // 2)
    return torch.cat([row_enc, col_enc], dim=-1).reshape(height * width, dim)

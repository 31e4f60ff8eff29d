"""Noise schedule, forward noising and the DDIM sampler, as pure functions.

The sampler is split like diffusers' schedulers: :func:`ddim_timesteps` says which timesteps
are visited, :func:`ddim_step` is one update, and :func:`ddim_sample_loop` runs the loop given
both. The loop is the only one in the project: the head samples with it and the exporter
traces it (its timesteps are Python ints, so a trace holds them as constants).

Notation (Ho et al. 2020; Song et al. 2021, "Denoising Diffusion Implicit Models"):
``alpha_bar[t]`` is the cumulative product of ``1 - beta`` up to and including step ``t``, for
integer timesteps ``t = 0 .. T-1``; ``x_t = sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) eps``.
"""
import math
from typing import Callable, List, Optional, Sequence, Tuple

import torch
from torch import Tensor

#: A denoiser: (x_t (B, ...), t (B,) int64) -> predicted x0, same shape as x_t.
Denoiser = Callable[[Tensor, Tensor], Tensor]


def cosine_alpha_bar(num_timesteps: int = 1000, offset: float = 0.008,
                     max_beta: float = 0.999) -> Tensor:
    """Cosine schedule of Nichol & Dhariwal 2021 ("Improved DDPM", eq. 17).

    ``f(t) = cos(((t / T) + s) / (1 + s) * pi / 2) ** 2``, ``beta_t = 1 - f(t + 1) / f(t)``
    clipped to ``max_beta`` (the paper's 0.999, which keeps the last step from being singular),
    ``alpha_bar[t] = prod_{i <= t} (1 - beta_i)``. Computed in float64, returned as float32.

    Args:
        num_timesteps: T, the number of diffusion steps.
        offset: s, the small offset that keeps beta_0 from being vanishingly small.
        max_beta: Upper clip of each beta.

    Returns:
        Tensor: ``alpha_bar`` (T,) float32, decreasing from ~1 (t=0) to ~0 (t=T-1).
    """
    if num_timesteps < 1:
        raise ValueError(f'cosine_alpha_bar: num_timesteps must be >= 1, got {num_timesteps}.')
    steps = torch.arange(num_timesteps + 1, dtype=torch.float64) / num_timesteps
    f = torch.cos((steps + offset) / (1 + offset) * math.pi / 2) ** 2
    betas = (1 - f[1:] / f[:-1]).clamp(max=max_beta)
    return torch.cumprod(1 - betas, dim=0).float()


def _gather(alpha_bar: Tensor, t: Tensor, ndim: int) -> Tensor:
    """alpha_bar[t] shaped (B, 1, ..., 1) to broadcast against an ndim-dimensional batch."""
    return alpha_bar[t].reshape(-1, *([1] * (ndim - 1)))


def q_sample(x0: Tensor, t: Tensor, noise: Tensor, alpha_bar: Tensor) -> Tensor:
    """Forward process: noise clean signals to timestep ``t``.

    Args:
        x0: Clean signals (B, ...).
        t: Integer timesteps (B,) in [0, T-1].
        noise: Standard normal noise, same shape as ``x0``.
        alpha_bar: Schedule (T,).

    Returns:
        Tensor: ``x_t`` (B, ...), ``sqrt(alpha_bar[t]) x0 + sqrt(1 - alpha_bar[t]) noise``.
    """
    a = _gather(alpha_bar, t, x0.dim())
    return a.sqrt() * x0 + (1 - a).sqrt() * noise


def ddim_timesteps(num_timesteps: int, sampling_steps: int) -> List[Tuple[int, int]]:
    """Pairs (t, t_prev) visited by a DDIM sampler, from t = T-1 down to t_prev = -1.

    The ``sampling_steps + 1`` points are evenly spaced on [-1, T-1] (the spacing DiffusionDet
    uses): e.g. T=1000, 10 steps visits 999, 899, ..., 99 and finally jumps to -1, which stands
    for the clean signal (alpha_bar = 1).

    Args:
        num_timesteps: T.
        sampling_steps: Number of network evaluations, 1 <= steps <= T.

    Returns:
        list: ``sampling_steps`` pairs ``(t, t_prev)`` of ints, t decreasing.
    """
    if not 1 <= sampling_steps <= num_timesteps:
        raise ValueError(f'ddim_timesteps: sampling_steps must be in [1, {num_timesteps}] '
                         f'(the number of diffusion timesteps), got {sampling_steps}.')
    times = torch.linspace(-1, num_timesteps - 1, sampling_steps + 1).round().long().tolist()
    times = times[::-1]
    return list(zip(times[:-1], times[1:]))


def ddim_step(x_t: Tensor, x0_pred: Tensor, alpha_bar_t: Tensor, alpha_bar_prev: Tensor,
              eta: float = 0.0, noise: Optional[Tensor] = None) -> Tensor:
    """One DDIM update x_t -> x_{t_prev} given the network's clean-signal prediction.

    Song et al. 2021, eq. 12: with ``eps = (x_t - sqrt(a_t) x0) / sqrt(1 - a_t)``,
    ``sigma = eta * sqrt((1 - a_prev) / (1 - a_t)) * sqrt(1 - a_t / a_prev)``,
    ``x_prev = sqrt(a_prev) x0 + sqrt(1 - a_prev - sigma^2) eps + sigma z``.
    eta=0 is deterministic; eta=1 matches DDPM's posterior variance. When ``a_prev`` is 1 (the
    final jump to t_prev=-1) the result is exactly ``x0_pred``.

    Args:
        x_t: Current noisy signals (B, ...).
        x0_pred: Predicted clean signals, same shape.
        alpha_bar_t: 0-dim tensor, alpha_bar at t.
        alpha_bar_prev: 0-dim tensor, alpha_bar at t_prev (1 for t_prev = -1).
        eta: Stochasticity in [0, 1].
        noise: z, standard normal like ``x_t``; required when eta > 0.

    Returns:
        Tensor: x_{t_prev}, same shape as ``x_t``.
    """
    eps = (x_t - alpha_bar_t.sqrt() * x0_pred) / (1 - alpha_bar_t).sqrt()
    sigma = eta * ((1 - alpha_bar_prev) / (1 - alpha_bar_t) *
                   (1 - alpha_bar_t / alpha_bar_prev)).clamp(min=0).sqrt()
    direction = (1 - alpha_bar_prev - sigma ** 2).clamp(min=0).sqrt()
    x_prev = alpha_bar_prev.sqrt() * x0_pred + direction * eps
    if eta > 0:
        if noise is None:
            raise ValueError('ddim_step: eta > 0 needs `noise`.')
        x_prev = x_prev + sigma * noise
    return x_prev


def ddim_sample_loop(denoiser: Denoiser, x_init: Tensor, timesteps: Sequence[Tuple[int, int]],
                     alpha_bar: Tensor, eta: float = 0.0,
                     generator: Optional[torch.Generator] = None) -> Tensor:
    """Run DDIM from ``x_init`` through the pairs ``timesteps`` to a clean signal.

    A pure function of its arguments: nothing in it depends on a tensor's value, so a tracer
    (``torch.jit.trace``, ONNX) unrolls it into a fixed graph, and a CUDA graph can capture it.

    Args:
        denoiser: Network predicting x0 from (x_t, t); t is (B,) int64, all entries equal.
        x_init: x at the first visited timestep (B, ...), standard normal noise.
        timesteps: Pairs (t, t_prev) of ints, e.g. from :func:`ddim_timesteps`; t_prev = -1
            stands for the clean signal (alpha_bar = 1).
        alpha_bar: Schedule (T,).
        eta: DDIM stochasticity; 0 is deterministic given ``x_init``.
        generator: Random generator of the eta > 0 noise.

    Returns:
        Tensor: The last update, same shape as ``x_init``; when the last t_prev is -1 this is
        exactly the last x0 prediction.
    """
    x = x_init
    one = torch.ones((), device=x.device, dtype=x.dtype)
    for t, t_prev in timesteps:
        t_batch = torch.full((x.shape[0],), t, device=x.device, dtype=torch.long)
        x0_pred = denoiser(x, t_batch)
        a_prev = alpha_bar[t_prev] if t_prev >= 0 else one
        noise = (torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator)
                 if eta > 0 else None)
        x = ddim_step(x, x0_pred, alpha_bar[t], a_prev, eta, noise)
    return x

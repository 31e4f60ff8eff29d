"""The diffusion process over normalised, root-relative hand vertices."""
from typing import Callable, Optional

import torch
from torch import Tensor, nn

from .schedule import cosine_alpha_bar, ddim_step, ddim_timesteps, q_sample

#: A denoiser: (x_t (B,V,3), t (B,) int64) -> predicted x0 (B,V,3), normalised units.
Denoiser = Callable[[Tensor, Tensor], Tensor]


class VertexDiffusion(nn.Module):
    """Cosine-schedule diffusion with an x0-predicting network and a DDIM sampler.

    The signal is ``x0 = (vertices - root) / vertex_scale``: root-relative vertices in metres
    divided by ``vertex_scale`` (metres), so that a hand (about 0.2 m across) spans roughly
    [-2, 2], the range DiffusionDet's "signal scale" aims at for unit-variance noise. This one
    number is both the normalisation and the signal scale.

    The schedule ``alpha_bar`` is a float32 buffer registered with ``persistent=False``: it is
    never saved in a checkpoint, so ``num_timesteps`` (and the number of sampling steps, which
    is only an argument) can differ between training and testing without breaking loading.

    Args:
        num_timesteps: T of the cosine schedule.
        vertex_scale: Metres per normalised unit.
    """

    def __init__(self, num_timesteps: int = 1000, vertex_scale: float = 0.1) -> None:
        super().__init__()
        if vertex_scale <= 0:
            raise ValueError('VertexDiffusion: vertex_scale must be > 0 metres, got '
                             f'{vertex_scale}.')
        self.num_timesteps = num_timesteps
        self.vertex_scale = vertex_scale
        self.register_buffer('alpha_bar', cosine_alpha_bar(num_timesteps), persistent=False)

    def normalize(self, vertices_rel: Tensor) -> Tensor:
        """Root-relative metres (..., 3) -> normalised diffusion signal."""
        return vertices_rel / self.vertex_scale

    def denormalize(self, x0: Tensor) -> Tensor:
        """Normalised diffusion signal (..., 3) -> root-relative metres."""
        return x0 * self.vertex_scale

    def sample_timesteps(self, batch_size: int, device: torch.device,
                         generator: Optional[torch.Generator] = None) -> Tensor:
        """Uniform training timesteps (B,) int64 in [0, T-1]."""
        return torch.randint(0, self.num_timesteps, (batch_size,), device=device,
                             generator=generator)

    def q_sample(self, x0: Tensor, t: Tensor, noise: Tensor) -> Tensor:
        """Noise ``x0`` (B,V,3) to timesteps ``t`` (B,) with ``noise`` (B,V,3) (see q_sample)."""
        return q_sample(x0, t, noise, self.alpha_bar)

    @torch.no_grad()
    def ddim_sample(self, denoiser: Denoiser, x_init: Tensor, sampling_steps: int = 10,
                    eta: float = 0.0, generator: Optional[torch.Generator] = None) -> Tensor:
        """Run DDIM from pure noise to a clean signal.

        Args:
            denoiser: Network predicting x0 from (x_t, t).
            x_init: x_{T-1} (B, V, 3), standard normal noise.
            sampling_steps: Number of denoiser evaluations (the paper uses 10).
            eta: DDIM stochasticity; 0 is deterministic given ``x_init``.
            generator: Random generator for the eta > 0 noise.

        Returns:
            Tensor: The final x0 prediction (B, V, 3), normalised units.
        """
        x = x_init
        batch = x.shape[0]
        one = torch.ones((), device=x.device, dtype=x.dtype)
        for t, t_prev in ddim_timesteps(self.num_timesteps, sampling_steps):
            t_batch = torch.full((batch,), t, device=x.device, dtype=torch.long)
            x0_pred = denoiser(x, t_batch)
            a_prev = self.alpha_bar[t_prev] if t_prev >= 0 else one
            noise = (torch.randn(x.shape, device=x.device, dtype=x.dtype, generator=generator)
                     if eta > 0 else None)
            x = ddim_step(x, x0_pred, self.alpha_bar[t], a_prev, eta, noise)
        return x

    def extra_repr(self) -> str:
        return f'num_timesteps={self.num_timesteps}, vertex_scale={self.vertex_scale}'

"""The diffusion process over normalised, root-relative hand vertices."""
from typing import List, Optional, Tuple

import torch
from torch import Tensor, nn

from .schedule import Denoiser, cosine_alpha_bar, ddim_sample_loop, ddim_timesteps, q_sample


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

    def timesteps(self, sampling_steps: int) -> List[Tuple[int, int]]:
        """The (t, t_prev) pairs a DDIM sampler with ``sampling_steps`` visits (see
        :func:`ddim_timesteps`)."""
        return ddim_timesteps(self.num_timesteps, sampling_steps)

    @torch.no_grad()
    def ddim_sample(self, denoiser: Denoiser, x_init: Tensor, sampling_steps: int = 10,
                    eta: float = 0.0, generator: Optional[torch.Generator] = None) -> Tensor:
        """Run DDIM from pure noise to a clean signal (:func:`ddim_sample_loop`).

        Args:
            denoiser: Network predicting x0 from (x_t, t), x_t (B, V, 3), t (B,) int64.
            x_init: x_{T-1} (B, V, 3), standard normal noise.
            sampling_steps: Number of denoiser evaluations (the paper uses 10).
            eta: DDIM stochasticity; 0 is deterministic given ``x_init``.
            generator: Random generator for the eta > 0 noise.

        Returns:
            Tensor: The final x0 prediction (B, V, 3), normalised units.
        """
        return ddim_sample_loop(denoiser, x_init, self.timesteps(sampling_steps),
                                self.alpha_bar, eta, generator)

    def extra_repr(self) -> str:
        return f'num_timesteps={self.num_timesteps}, vertex_scale={self.vertex_scale}'

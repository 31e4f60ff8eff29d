"""Diffusion over hand vertices: cosine schedule, forward noising, DDIM sampling."""
from .schedule import (Denoiser, cosine_alpha_bar, ddim_sample_loop, ddim_step, ddim_timesteps,
                       q_sample)
from .vertex_diffusion import VertexDiffusion

__all__ = ['Denoiser', 'cosine_alpha_bar', 'q_sample', 'ddim_timesteps', 'ddim_step',
           'ddim_sample_loop', 'VertexDiffusion']

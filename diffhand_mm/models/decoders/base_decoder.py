"""Shared input and output layers of the mesh decoders."""
from typing import Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from .embeddings import image_positional_encoding, sinusoidal_timestep_embedding


class BaseMeshDecoder(BaseModule):
    """Embeds (x_t, t, image) into vertex tokens, a global condition and image tokens.

    Subclasses implement :meth:`decode`. Inputs and outputs:

    - vertex tokens = learned per-vertex query (which vertex is which) + ``Linear(x_t)``;
      with ``x_t=None`` (the no-diffusion ablation) only the learned query;
    - global condition g = ``Linear(embedding)`` + ``MLP(sinusoidal(t))``; with ``t=None``
      only the image part;
    - image tokens = ``Linear(feature map cells)`` + 2D sinusoidal positions (only when
      ``use_image_tokens``);
    - output: ``Linear(LayerNorm(tokens))`` -> x0 prediction (B, V, 3), normalised units.

    Args:
        num_vertices: V.
        in_channels: C of the encoder's feature map.
        embed_dim: D of the encoder's embedding.
        dim: Token width.
        use_image_tokens: Whether :meth:`decode` reads the feature map.
        init_cfg: MMEngine init config.
    """

    def __init__(self, num_vertices: int, in_channels: int, embed_dim: int, dim: int,
                 use_image_tokens: bool = True, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if dim % 4:
            raise ValueError(f'{type(self).__name__}: dim must be divisible by 4, got {dim}.')
        self.num_vertices = num_vertices
        self.dim = dim
        self.vertex_query = nn.Parameter(torch.randn(1, num_vertices, dim) * 0.02)
        self.coord_proj = nn.Linear(3, dim)
        self.embed_proj = nn.Linear(embed_dim, dim)
        self.time_mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.image_proj = nn.Linear(in_channels, dim) if use_image_tokens else None
        self.out_norm = nn.LayerNorm(dim)
        self.out_proj = nn.Linear(dim, 3)

    def forward(self, x_t: Optional[Tensor], t: Optional[Tensor], feature_map: Tensor,
                embedding: Tensor) -> Tensor:
        """Predict clean normalised vertices.

        Args:
            x_t: Noisy normalised vertices (B, V, 3), or None for a single-pass regressor.
            t: Timesteps (B,) int64, or None (no timestep conditioning).
            feature_map: Image features (B, C, h, w).
            embedding: Image embedding (B, D).

        Returns:
            Tensor: x0 prediction (B, V, 3), normalised units.
        """
        batch = embedding.shape[0]
        tokens = self.vertex_query.expand(batch, -1, -1)
        if x_t is not None:
            if x_t.shape[1:] != (self.num_vertices, 3):
                raise ValueError(f'{type(self).__name__}: x_t must be (B, {self.num_vertices}, 3),'
                                 f' got {tuple(x_t.shape)}.')
            tokens = tokens + self.coord_proj(x_t)
        condition = self.embed_proj(embedding)
        if t is not None:
            condition = condition + self.time_mlp(sinusoidal_timestep_embedding(t, self.dim))
        image_tokens = None
        if self.image_proj is not None:
            h, w = feature_map.shape[2:]
            image_tokens = self.image_proj(feature_map.flatten(2).transpose(1, 2))
            image_tokens = image_tokens + image_positional_encoding(h, w, self.dim,
                                                                    feature_map.device)
        tokens = self.decode(tokens, condition, image_tokens)
        return self.out_proj(self.out_norm(tokens))

    def decode(self, tokens: Tensor, condition: Tensor, image_tokens: Optional[Tensor]) -> Tensor:
        """Transform vertex tokens (B,V,dim) given g (B,dim) and image tokens (B,h*w,dim)."""
        raise NotImplementedError

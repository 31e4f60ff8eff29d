"""Shared input and output layers of the mesh decoders."""
from contextlib import contextmanager
from typing import Any, Iterator, NamedTuple, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from .embeddings import image_positional_encoding, sinusoidal_timestep_embedding


class ImageContext(NamedTuple):
    """The part of a decoder pass that depends only on the image, computed once per image.

    The image features do not change between DDIM steps, so inside
    :meth:`BaseMeshDecoder.reuse_image_context` it is built once and reused by every step.

    Attributes:
        condition: ``Linear(embedding)`` (B, dim), the image part of the global condition g.
        memory: What :meth:`BaseMeshDecoder.decode` reads from the image, batch first (the
            cross-modality decoder: the cross-attention keys and values of every attention
            block), or None for decoders that do not read the feature map.
    """
    condition: Tensor
    memory: Any


class BaseMeshDecoder(BaseModule):
    """Embeds (x_t, t, image) into vertex tokens, a global condition and image tokens.

    Subclasses implement :meth:`decode` (and :meth:`prepare_image_memory` to precompute what
    it reads from the image tokens). Inputs and outputs:

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
        # (feature_map, embedding, their versions, ImageContext) inside reuse_image_context,
        # an empty tuple there before the first call, None outside.
        self._reused_context: Optional[tuple] = None

    @contextmanager
    def reuse_image_context(self) -> Iterator[None]:
        """Encode the image once for all :meth:`forward` calls inside the block.

        A sampler calls :meth:`forward` once per DDIM step with the same feature map and
        embedding; their part of the pass (:meth:`encode_image`: image tokens, cross-attention
        keys and values, ``Linear(embedding)``) is then computed in the first call only. The
        cache holds one entry keyed on the identity and version counter of the two tensors,
        so other tensors, or the same ones changed in place, are encoded afresh: results are
        those of plain calls.
        """
        outer = self._reused_context
        self._reused_context = ()
        try:
            yield
        finally:
            self._reused_context = outer

    def encode_image(self, feature_map: Tensor, embedding: Tensor) -> ImageContext:
        """Everything a pass needs from the image, independent of x_t and t.

        Args:
            feature_map: Image features (B, C, h, w).
            embedding: Image embedding (B, D).

        Returns:
            ImageContext: batch B.
        """
        memory = None
        if self.image_proj is not None:
            h, w = feature_map.shape[2:]
            image_tokens = self.image_proj(feature_map.flatten(2).transpose(1, 2))
            image_tokens = image_tokens + image_positional_encoding(h, w, self.dim,
                                                                    feature_map.device)
            memory = self.prepare_image_memory(image_tokens)
        return ImageContext(self.embed_proj(embedding), memory)

    def prepare_image_memory(self, image_tokens: Tensor) -> Any:
        """What :meth:`decode` reads from the image tokens (B, h*w, dim); by default the tokens."""
        return image_tokens

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
        context = self._image_context(feature_map, embedding)
        batch = embedding.shape[0]
        tokens = self.vertex_query.expand(batch, -1, -1)
        if x_t is not None:
            if x_t.shape[1:] != (self.num_vertices, 3):
                raise ValueError(f'{type(self).__name__}: x_t must be (B, {self.num_vertices}, 3),'
                                 f' got {tuple(x_t.shape)}.')
            tokens = tokens + self.coord_proj(x_t)
        condition = context.condition
        if t is not None:
            condition = condition + self.time_mlp(sinusoidal_timestep_embedding(t, self.dim))
        tokens = self.decode(tokens, condition, context.memory)
        return self.out_proj(self.out_norm(tokens))

    def _image_context(self, feature_map: Tensor, embedding: Tensor) -> ImageContext:
        """:meth:`encode_image`, reused inside :meth:`reuse_image_context` when possible."""
        if self._reused_context is None:
            return self.encode_image(feature_map, embedding)
        key = (feature_map, embedding, feature_map._version, embedding._version)
        cached = self._reused_context
        if cached and cached[0] is key[0] and cached[1] is key[1] and cached[2:4] == key[2:]:
            return cached[4]
        context = self.encode_image(feature_map, embedding)
        self._reused_context = key + (context,)
        return context

    def decode(self, tokens: Tensor, condition: Tensor, image_memory: Any) -> Tensor:
        """Transform vertex tokens (B,V,dim) given g (B,dim) and the context's memory."""
        raise NotImplementedError

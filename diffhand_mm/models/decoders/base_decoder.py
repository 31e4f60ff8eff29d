"""Shared input and output layers of the mesh decoders."""
from typing import Any, NamedTuple, Optional

import torch
from mmengine.model import BaseModule
from torch import Tensor, nn

from .embeddings import image_positional_encoding, sinusoidal_timestep_embedding


def map_tensors(fn, tree: Any) -> Any:
    """``fn`` applied to every tensor of nested tuples, named tuples and lists (None kept),
    in order; the same structure with the results."""
    if torch.is_tensor(tree):
        return fn(tree)
    if isinstance(tree, tuple) and hasattr(tree, '_fields'):
        return type(tree)(*[map_tensors(fn, item) for item in tree])
    if isinstance(tree, (tuple, list)):
        return type(tree)([map_tensors(fn, item) for item in tree])
    if tree is None:
        return None
    raise TypeError(f'ImageContext: cannot map over a {type(tree).__name__}.')


class ImageContext(NamedTuple):
    """The part of a decoder pass that depends only on the image.

    It does not change between DDIM steps: a sampler builds it once per image with
    :meth:`BaseMeshDecoder.encode_image` and passes it to every step.

    Attributes:
        condition: ``Linear(embedding)`` (B, dim), the image part of the global condition g.
        memory: What :meth:`BaseMeshDecoder.decode` reads from the image, batch first (the
            cross-modality decoder: the cross-attention keys and values of every attention
            block), or None for decoders that do not read the feature map.
    """
    condition: Tensor
    memory: Any

    @property
    def batch_size(self) -> int:
        return self.condition.shape[0]

    def repeat_interleave(self, repeats: int) -> 'ImageContext':
        """The context of every image repeated ``repeats`` times along the batch (B -> B *
        repeats, each image's copies adjacent), e.g. for several hypotheses per image."""
        if repeats == 1:
            return self
        return map_tensors(lambda x: x.repeat_interleave(repeats, dim=0), self)


class BaseMeshDecoder(BaseModule):
    """Embeds (x_t, t, image) into vertex tokens, a global condition and image tokens.

    Subclasses implement :meth:`decode` (and :meth:`prepare_image_memory` to precompute what
    it reads from the image tokens). A pass is ``decoder(x_t, t, decoder.encode_image(
    feature_map, embedding))``: the image's part is an explicit input, so a sampler computes
    it once per image, not once per step and hypothesis. Inputs and outputs:

    - vertex tokens = learned per-point query (which point is which) + ``Linear(x_t)``;
      with ``x_t=None`` (the no-diffusion ablation) only the learned query;
    - global condition g = ``Linear(embedding)`` + ``MLP(sinusoidal(t))``; with ``t=None``
      only the image part;
    - image tokens = ``Linear(feature map cells)`` + 2D sinusoidal positions (only when
      ``use_image_tokens``);
    - output: ``Linear(LayerNorm(tokens))`` -> x0 prediction (B, N, 3), normalised units.

    The diffusion signal is N points, one token each: by default the V mesh vertices
    (N = V). A decoder that denoises fewer points (:class:`FastMeshDecoder`) overrides
    :meth:`signal_from_vertices` (V -> N) and :meth:`vertices_from_signal` (N -> V).

    Args:
        num_points: N, the points of the diffusion signal.
        in_channels: C of the encoder's feature map.
        embed_dim: D of the encoder's embedding.
        dim: Token width.
        use_image_tokens: Whether :meth:`decode` reads the feature map.
        init_cfg: MMEngine init config.
    """

    def __init__(self, num_points: int, in_channels: int, embed_dim: int, dim: int,
                 use_image_tokens: bool = True, init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if dim % 4:
            raise ValueError(f'{type(self).__name__}: dim must be divisible by 4, got {dim}.')
        self.num_points = num_points
        self.dim = dim
        self.vertex_query = nn.Parameter(torch.randn(1, num_points, dim) * 0.02)
        self.coord_proj = nn.Linear(3, dim)
        self.embed_proj = nn.Linear(embed_dim, dim)
        self.time_mlp = nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.Linear(dim, dim))
        self.image_proj = nn.Linear(in_channels, dim) if use_image_tokens else None
        self.out_norm = nn.LayerNorm(dim)
        self.out_proj = nn.Linear(dim, 3)

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

    def forward(self, x_t: Optional[Tensor], t: Optional[Tensor],
                context: ImageContext) -> Tensor:
        """Predict clean normalised vertices.

        Args:
            x_t: Noisy normalised signal (B, N, 3), or None for a single-pass regressor.
            t: Timesteps (B,) int64, or None (no timestep conditioning).
            context: :meth:`encode_image` of the images, batch B (computed once per image
                and reused by every DDIM step).

        Returns:
            Tensor: x0 prediction of the signal (B, N, 3), normalised units; the mesh is
            :meth:`vertices_from_signal` of it.
        """
        batch = context.batch_size
        tokens = self.vertex_query.expand(batch, -1, -1)
        if x_t is not None:
            if x_t.shape != (batch, self.num_points, 3):
                raise ValueError(f'{type(self).__name__}: x_t must be ({batch}, '
                                 f'{self.num_points}, 3) for an image context of batch '
                                 f'{batch}, got {tuple(x_t.shape)}.')
            tokens = tokens + self.coord_proj(x_t)
        condition = context.condition
        if t is not None:
            condition = condition + self.time_mlp(sinusoidal_timestep_embedding(t, self.dim))
        tokens = self.decode(tokens, condition, context.memory)
        return self.out_proj(self.out_norm(tokens))

    def signal_from_vertices(self, vertices: Tensor) -> Tensor:
        """The diffusion signal (B, N, 3) of meshes (B, V, 3); here the vertices themselves."""
        return vertices

    def vertices_from_signal(self, signal: Tensor) -> Tensor:
        """Meshes (B, V, 3) from a signal (B, N, 3); here the signal itself."""
        return signal

    def decode(self, tokens: Tensor, condition: Tensor, image_memory: Any) -> Tensor:
        """Transform vertex tokens (B,V,dim) given g (B,dim) and the context's memory."""
        raise NotImplementedError

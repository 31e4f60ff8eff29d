"""The plain decoder of DiffHand's ablation (Table 4): a self-attention transformer."""
from typing import Optional

from torch import Tensor, nn

from diffhand_mm.registry import MODELS
from .base_decoder import BaseMeshDecoder


@MODELS.register_module()
class VanillaMeshDecoder(BaseMeshDecoder):
    """Self-attention transformer over vertex tokens after adding g to every token.

    The image reaches the vertices only through the global condition g (no cross-attention,
    no vertex hierarchy): the "vanilla decoder" row of the paper's ablation.

    Args:
        template_vertices: Hand template (V, 3); only V is used.
        in_channels: C of the feature map (unused by this decoder, accepted so configs can
            swap decoders without other changes).
        embed_dim: D of the encoder's embedding.
        template_faces: Unused; accepted like ``in_channels``.
        dim: Token width. num_layers: Transformer layers. num_heads: Attention heads.
        ffn_ratio: Feed-forward width ratio. init_cfg: MMEngine init config.
    """

    def __init__(self, template_vertices: Tensor, in_channels: int, embed_dim: int,
                 template_faces: Optional[Tensor] = None, dim: int = 256, num_layers: int = 6, num_heads: int = 8, ffn_ratio: int = 4,
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(len(template_vertices), in_channels, embed_dim, dim,
                         use_image_tokens=False, init_cfg=init_cfg)
        layer = nn.TransformerEncoderLayer(dim, num_heads, ffn_ratio * dim, dropout=0.0,
                                           activation='gelu', batch_first=True, norm_first=True)
        self.transformer = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)

    def decode(self, tokens: Tensor, condition: Tensor, image_memory: None) -> Tensor:
        return self.transformer(tokens + condition[:, None])

"""Image encoder: any timm model as (feature map, image embedding), the two outputs DiffHand uses.

DiffHand's encoder (DeiT-III or HRNet-W64 in the paper) gives a spatial feature map F, which the
decoder's cross-attention reads, and a global image embedding e, which is added to the timestep
embedding to form the global condition g = e + sinusoidal(t).
"""
import os.path as osp
from typing import Optional, Tuple

import torch
from mmengine.model import BaseModule
from torch import Tensor

from diffhand_mm.registry import MODELS


class PretrainedWeightsUnavailable(RuntimeError):
    """Raised when pretrained weights were asked for but cannot be obtained."""


def _create_timm_model(model_name: str, pretrained: bool, checkpoint: Optional[str],
                       timm_kwargs: dict) -> torch.nn.Module:
    """Build a headless timm model, loading ImageNet weights from the hub or a local file."""
    import timm

    if checkpoint is not None:
        if not osp.isfile(checkpoint):
            raise FileNotFoundError(
                f'TimmEncoder({model_name!r}): checkpoint file {checkpoint!r} does not exist.')
        # timm's own loader handles head removal and position-embedding resizing for us.
        return timm.create_model(
            model_name, pretrained=True, num_classes=0,
            pretrained_cfg_overlay=dict(file=osp.abspath(checkpoint)), **timm_kwargs)
    if not pretrained:
        return timm.create_model(model_name, pretrained=False, num_classes=0, **timm_kwargs)
    try:
        return timm.create_model(model_name, pretrained=True, num_classes=0, **timm_kwargs)
    except Exception as err:  # network, hub and cache errors all mean the same to the user
        raise PretrainedWeightsUnavailable(
            f'TimmEncoder({model_name!r}): pretrained=True but the ImageNet weights could not be '
            f'downloaded or found in the local cache ({type(err).__name__}: {err}). Offline, '
            f'download them elsewhere and pass checkpoint=<path to the .pth/.safetensors file>, '
            f'or set pretrained=False to train from scratch.') from err


@MODELS.register_module()
class TimmEncoder(BaseModule):
    """A timm image model that returns a feature map and a global embedding.

    Works for token models (DeiT-III, ViT: patch tokens become the map, the pooled class token
    the embedding) and convolutional models (HRNet, FastViT, ResNet: the last stage is the map,
    timm's pre-logits pooling the embedding).

    Args:
        model_name: timm model name, e.g. ``'deit3_large_patch16_224'``, ``'hrnet_w64'``,
            ``'fastvit_ma36'``, ``'resnet18'``.
        pretrained: Load ImageNet weights from timm's hub (needs internet or a filled cache).
            Offline this raises :class:`PretrainedWeightsUnavailable` instead of hanging.
        checkpoint: Path to a local timm weights file; takes precedence over ``pretrained``.
        img_size: Input resolution (pixels, square); passed to token models, which need it for
            their position embeddings, and used to probe the output sizes.
        init_cfg: MMEngine init config (e.g. a ``Pretrained`` checkpoint of the whole model).
        **timm_kwargs: Passed to ``timm.create_model`` (e.g. ``drop_path_rate``).

    Attributes:
        feature_channels (int): C of the feature map.
        embed_dim (int): D of the embedding.
        feature_size (tuple[int, int]): (h, w) of the feature map at ``img_size``.
    """

    def __init__(self,
                 model_name: str,
                 pretrained: bool = False,
                 checkpoint: Optional[str] = None,
                 img_size: int = 224,
                 init_cfg: Optional[dict] = None,
                 **timm_kwargs) -> None:
        super().__init__(init_cfg=init_cfg)
        import timm
        if model_name not in timm.list_models() and not timm.is_model(model_name):
            raise ValueError(f'TimmEncoder: unknown timm model {model_name!r}.')
        self.model_name = model_name
        self.img_size = img_size
        if self._is_token_model_name(model_name):
            timm_kwargs.setdefault('img_size', img_size)
        self.model = _create_timm_model(model_name, pretrained, checkpoint, timm_kwargs)
        self.num_prefix_tokens = int(getattr(self.model, 'num_prefix_tokens', 0))
        self.feature_channels, self.embed_dim, self.feature_size = self._probe_output_sizes()

    @staticmethod
    def _is_token_model_name(model_name: str) -> bool:
        return model_name.startswith(('vit', 'deit', 'eva', 'beit'))

    @torch.no_grad()
    def _probe_output_sizes(self) -> Tuple[int, int, Tuple[int, int]]:
        was_training = self.model.training
        self.model.eval()
        feature_map, embedding = self.forward(torch.zeros(1, 3, self.img_size, self.img_size))
        self.model.train(was_training)
        return feature_map.shape[1], embedding.shape[1], tuple(feature_map.shape[2:])

    def forward(self, x: Tensor) -> Tuple[Tensor, Tensor]:
        """Encode a batch of normalised images.

        Args:
            x: Images (B, 3, H, W), normalised RGB.

        Returns:
            tuple: ``feature_map`` (B, C, h, w) and ``embedding`` (B, D).
        """
        features = self.model.forward_features(x)
        embedding = self.model.forward_head(features, pre_logits=True)
        if features.dim() == 3:  # tokens (B, prefix + h*w, C)
            patch_tokens = features[:, self.num_prefix_tokens:]
            h, w = self._token_grid(x, patch_tokens.shape[1])
            feature_map = patch_tokens.transpose(1, 2).reshape(x.shape[0], -1, h, w)
        elif features.dim() == 4:
            feature_map = features
        else:
            raise RuntimeError(f'TimmEncoder({self.model_name!r}): unexpected feature shape '
                               f'{tuple(features.shape)} from forward_features.')
        return feature_map, embedding.flatten(1)

    def _token_grid(self, x: Tensor, num_tokens: int) -> Tuple[int, int]:
        patch_embed = getattr(self.model, 'patch_embed', None)
        patch = getattr(patch_embed, 'patch_size', None)
        if patch is not None:
            ph, pw = (patch, patch) if isinstance(patch, int) else patch
            h, w = x.shape[2] // ph, x.shape[3] // pw
            if h * w == num_tokens:
                return h, w
        side = int(round(num_tokens ** 0.5))
        if side * side != num_tokens:
            raise RuntimeError(f'TimmEncoder({self.model_name!r}): cannot arrange {num_tokens} '
                               'patch tokens into a grid.')
        return side, side

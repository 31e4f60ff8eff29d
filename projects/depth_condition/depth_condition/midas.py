"""MiDaS / DPT monocular depth from the official weights file a user has (nothing downloads).

Supported: the ViT DPT models of MiDaS v3.0 / v3.1, ``dpt_large_384.pt`` (ViT-L/16, 384 px;
v3.0 name ``dpt_large-midas-2f21e586.pt``) and ViT-B/16 variants of the same layout. The
network is rebuilt here (our code) with the module names of the official files, so their
state dict loads strictly; its sizes are read from the file. Not supported (a clear error
says so): DPT-Hybrid (ResNet-50 stem), BEiT / Swin / LeViT DPTs, MiDaS v2.1 CNNs.

The DPT, as laid out in those files: a ViT (``pretrained.model``); the tokens after four of
its blocks (``hooks``, e.g. 5, 11, 17, 23 of ViT-L's 24) are "reassembled"
(``pretrained.act_postprocess1..4``: the class token projected into every patch token, a grid
of patch features, a 1x1 conv, then resampled to strides 4, 8, 16, 32 of the input); 3x3
convs bring them to one width (``scratch.layer1..4_rn``); fusion blocks
(``scratch.refinenet4..1``, residual conv units) merge them coarse to fine, each upsampling
by 2; a head (``scratch.output_conv``) gives relative inverse depth at the input size.
"""
import math
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .registry import DEPTH_SOURCES
from .sources import DepthSource, normalize_relative

_RESAMPLE = ('up4', 'up2', 'none', 'down2')  # of the four reassembled levels, in order


class _ReadoutProject(nn.Module):
    """Class token concatenated to every patch token, projected back: (B,1+N,C) -> (B,N,C)."""

    def __init__(self, dim: int) -> None:
        super().__init__()
        self.project = nn.Sequential(nn.Linear(2 * dim, dim), nn.GELU())

    def forward(self, tokens: Tensor) -> Tensor:
        patches = tokens[:, 1:]
        readout = tokens[:, :1].expand_as(patches)
        return self.project(torch.cat([patches, readout], dim=-1))


def _reassemble(dim: int, channels: int, resample: str) -> nn.Sequential:
    # Indices 1 and 2 are the official files' weightless transpose / unflatten steps; they
    # are kept as placeholders so that the conv sits at index 3 and the resampler at 4.
    layers = [_ReadoutProject(dim), nn.Identity(), nn.Identity(), nn.Conv2d(dim, channels, 1)]
    if resample == 'up4':
        layers.append(nn.ConvTranspose2d(channels, channels, 4, stride=4))
    elif resample == 'up2':
        layers.append(nn.ConvTranspose2d(channels, channels, 2, stride=2))
    elif resample == 'down2':
        layers.append(nn.Conv2d(channels, channels, 3, stride=2, padding=1))
    return nn.Sequential(*layers)


class _ResidualConvUnit(nn.Module):
    """x + conv2(relu(conv1(relu(x)))), 3x3 convs."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(channels, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)

    def forward(self, x: Tensor) -> Tensor:
        return x + self.conv2(F.relu(self.conv1(F.relu(x))))


class _FusionBlock(nn.Module):
    """Adds a refined skip level, refines, upsamples (bilinear, corners aligned), 1x1 conv."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.out_conv = nn.Conv2d(channels, channels, 1)
        self.resConfUnit1 = _ResidualConvUnit(channels)  # noqa: N815 (the files' names)
        self.resConfUnit2 = _ResidualConvUnit(channels)  # noqa: N815

    def forward(self, x: Tensor, skip: Optional[Tensor] = None, size=None) -> Tensor:
        if skip is not None:
            x = x + self.resConfUnit1(skip)
        x = self.resConfUnit2(x)
        if size is None:
            x = F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)
        else:
            x = F.interpolate(x, size=size, mode='bilinear', align_corners=True)
        return self.out_conv(x)


class _Upsample2(nn.Module):

    def forward(self, x: Tensor) -> Tensor:
        return F.interpolate(x, scale_factor=2, mode='bilinear', align_corners=True)


class MidasDPT(nn.Module):
    """The ViT DPT of MiDaS (see the module docstring), sizes given explicitly.

    Args:
        embed_dim, depth, num_heads, patch_size, img_size: Of the ViT.
        hooks: Indices of the four blocks whose outputs are reassembled.
        reassemble_channels: Channels of the four reassembled levels.
        features: Width of the fusion path.
        head_features: Width of the head's hidden layer (official: 32).
    """

    def __init__(self, embed_dim: int, depth: int, num_heads: int, patch_size: int,
                 img_size: int, hooks: Sequence[int], reassemble_channels: Sequence[int],
                 features: int, head_features: int = 32) -> None:
        super().__init__()
        from timm.models.vision_transformer import VisionTransformer
        self.hooks = list(hooks)
        self.patch_size = patch_size
        self.img_size = img_size
        self.pretrained = nn.Module()
        self.pretrained.model = VisionTransformer(
            img_size=img_size, patch_size=patch_size, embed_dim=embed_dim, depth=depth,
            num_heads=num_heads, num_classes=0, qkv_bias=True)
        self.scratch = nn.Module()
        for level, (channels, resample) in enumerate(zip(reassemble_channels, _RESAMPLE), 1):
            setattr(self.pretrained, f'act_postprocess{level}',
                    _reassemble(embed_dim, channels, resample))
            setattr(self.scratch, f'layer{level}_rn',
                    nn.Conv2d(channels, features, 3, padding=1, bias=False))
            setattr(self.scratch, f'refinenet{level}', _FusionBlock(features))
        self.scratch.output_conv = nn.Sequential(
            nn.Conv2d(features, features // 2, 3, padding=1), _Upsample2(),
            nn.Conv2d(features // 2, head_features, 3, padding=1), nn.ReLU(),
            nn.Conv2d(head_features, 1, 1), nn.ReLU(), nn.Identity())

    def _position_embedding(self, grid_h: int, grid_w: int) -> Tensor:
        pos = self.pretrained.model.pos_embed  # (1, 1 + n*n, C)
        side = int(math.isqrt(pos.shape[1] - 1))
        if (grid_h, grid_w) == (side, side):
            return pos
        grid = pos[:, 1:].reshape(1, side, side, -1).permute(0, 3, 1, 2)
        grid = F.interpolate(grid, size=(grid_h, grid_w), mode='bilinear', align_corners=False)
        return torch.cat([pos[:, :1], grid.flatten(2).transpose(1, 2)], dim=1)

    def forward(self, x: Tensor) -> Tensor:
        """Images (B, 3, H, W), RGB scaled to [-1, 1], H and W multiples of 32 -> relative
        inverse depth (B, H, W), arbitrary scale and shift."""
        vit = self.pretrained.model
        batch, _, height, width = x.shape
        grid_h, grid_w = height // self.patch_size, width // self.patch_size
        tokens = vit.patch_embed.proj(x).flatten(2).transpose(1, 2)
        tokens = torch.cat([vit.cls_token.expand(batch, -1, -1), tokens], dim=1)
        tokens = tokens + self._position_embedding(grid_h, grid_w)
        hooked = []
        for index, block in enumerate(vit.blocks):
            tokens = block(tokens)
            if index in self.hooks:
                hooked.append(tokens)
        levels = []
        for level, level_tokens in enumerate(hooked, 1):
            steps = getattr(self.pretrained, f'act_postprocess{level}')
            grid = steps[0](level_tokens).transpose(1, 2).reshape(batch, -1, grid_h, grid_w)
            for step in steps[3:]:
                grid = step(grid)
            levels.append(getattr(self.scratch, f'layer{level}_rn')(grid))
        path = self.scratch.refinenet4(levels[3], size=levels[2].shape[-2:])
        path = self.scratch.refinenet3(path, levels[2], size=levels[1].shape[-2:])
        path = self.scratch.refinenet2(path, levels[1], size=levels[0].shape[-2:])
        path = self.scratch.refinenet1(path, levels[0])
        return self.scratch.output_conv(path)[:, 0]


def _unsupported(state: Dict[str, Tensor]) -> Optional[str]:
    if any(key.startswith('pretrained.model.patch_embed.backbone.') for key in state):
        return 'DPT-Hybrid (a ResNet-50 stem before the ViT)'
    if any('relative_position_bias' in key or '.layers.' in key for key in state):
        return 'a BEiT / Swin DPT of MiDaS v3.1'
    if 'pretrained.layer1.0.weight' in state:
        return 'a MiDaS v2.1 CNN'
    if 'pretrained.model.pos_embed' not in state:
        return 'not a MiDaS DPT state dict (no pretrained.model.pos_embed)'
    if 'pretrained.act_postprocess1.0.project.0.weight' not in state:
        return "a DPT whose readout is not 'project'"
    return None


def build_midas_dpt(state: Dict[str, Tensor], num_heads: Optional[int] = None) -> MidasDPT:
    """A :class:`MidasDPT` sized from an official state dict, with its weights loaded.

    Args:
        state: The file's state dict (``pretrained.*`` and ``scratch.*`` keys).
        num_heads: Attention heads of the ViT; cannot be read from the weights. Default:
            ``embed_dim // 64`` (ViT-B: 12, ViT-L: 16, as in the official models).

    Raises:
        ValueError: the state dict is of an unsupported model, or its keys do not match.
    """
    problem = _unsupported(state)
    if problem is not None:
        raise ValueError(f'MiDaS weights: {problem} is not supported; use a ViT DPT such as '
                         'dpt_large_384.pt (MiDaS v3.0).')
    pos = state['pretrained.model.pos_embed']
    embed_dim = pos.shape[-1]
    patch_size = state['pretrained.model.patch_embed.proj.weight'].shape[-1]
    img_size = int(math.isqrt(pos.shape[1] - 1)) * patch_size
    depth = 1 + max(int(key.split('.')[3]) for key in state
                    if key.startswith('pretrained.model.blocks.'))
    hooks = [depth * k // 4 - 1 for k in (1, 2, 3, 4)]
    model = MidasDPT(
        embed_dim=embed_dim, depth=depth, num_heads=num_heads or max(1, embed_dim // 64),
        patch_size=patch_size, img_size=img_size, hooks=hooks,
        reassemble_channels=[state[f'pretrained.act_postprocess{i}.3.weight'].shape[0]
                             for i in (1, 2, 3, 4)],
        features=state['scratch.layer1_rn.weight'].shape[0],
        head_features=state['scratch.output_conv.2.weight'].shape[0])
    # The ViT's classification head is never used by the DPT.
    weights = {k: v for k, v in state.items() if not k.startswith('pretrained.model.head.')}
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if missing or unexpected:
        raise ValueError(f'MiDaS weights do not match the ViT DPT layout: missing '
                         f'{sorted(missing)[:5]}, unexpected {sorted(unexpected)[:5]} '
                         f'({len(missing)} / {len(unexpected)} in all).')
    return model.eval()


def load_state_dict_file(path: str) -> Dict[str, Tensor]:
    """The state dict in an official MiDaS weights file (tensors only)."""
    state = torch.load(path, map_location='cpu', weights_only=True)
    if isinstance(state, dict) and 'optimizer' in state and 'model' in state:
        state = state['model']  # a training checkpoint, as MiDaS's own loader accepts
    if not isinstance(state, dict) or not all(isinstance(v, Tensor) for v in state.values()):
        raise ValueError(f'MiDaS weights: {path} does not hold a state dict of tensors.')
    return state


@DEPTH_SOURCES.register_module()
class MidasDepthSource(DepthSource):
    """Relative inverse depth of the input crop estimated by MiDaS (DPT) from its weights file.

    The crop (``results['img']``, BGR uint8) is converted to RGB in [-1, 1], resized
    (bicubic) to ``input_size`` square, passed through the network, and its output resized
    back (bilinear) and normalised to [0, 1] (:func:`normalize_relative`). The network is
    built on first use, so a pipeline can be pickled into loader workers cheaply.

    Cost: DPT-Large is ~340 M parameters; on a CPU one 384 px crop takes seconds (not
    measured here: no official weights on our machines). For training, prefer a GPU.

    Args:
        weights: Path of the official file, e.g. ``dpt_large_384.pt``; must exist.
        num_heads: See :func:`build_midas_dpt`.
        input_size: Network input side in pixels, a multiple of 32; default: the size the
            weights were trained at (384 for ``dpt_large_384.pt``).
        device: Torch device to run on.

    Raises:
        FileNotFoundError: ``weights`` does not exist (nothing is downloaded).
    """

    def __init__(self, weights: str, num_heads: Optional[int] = None,
                 input_size: Optional[int] = None, device: str = 'cpu') -> None:
        if not osp.isfile(weights):
            raise FileNotFoundError(
                f'MidasDepthSource: weights file {weights!r} not found. Get the official MiDaS '
                'DPT weights (e.g. dpt_large_384.pt from the releases of '
                'github.com/isl-org/MiDaS) and pass their path; nothing is downloaded at run '
                'time.')
        if input_size is not None and input_size % 32:
            raise ValueError(f'MidasDepthSource: input_size must be a multiple of 32, got '
                             f'{input_size}.')
        self.weights = weights
        self.num_heads = num_heads
        self.input_size = input_size
        self.device = device
        self._model: Optional[MidasDPT] = None

    @property
    def model(self) -> MidasDPT:
        if self._model is None:
            self._model = build_midas_dpt(load_state_dict_file(self.weights),
                                          self.num_heads).to(self.device)
        return self._model

    @torch.no_grad()
    def estimate(self, images_bgr: List[np.ndarray]) -> List[np.ndarray]:
        """Relative inverse depth in [0, 1], (H, W) float32, for BGR uint8 images."""
        side = self.input_size or self.model.img_size
        batch = []
        for image in images_bgr:
            rgb = cv2.cvtColor(image, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
            rgb = cv2.resize(rgb, (side, side), interpolation=cv2.INTER_CUBIC)
            batch.append(torch.from_numpy((rgb - 0.5) / 0.5).permute(2, 0, 1))
        output = self.model(torch.stack(batch).to(self.device)).float().cpu().numpy()
        return [normalize_relative(cv2.resize(out, (image.shape[1], image.shape[0]),
                                              interpolation=cv2.INTER_LINEAR))
                for out, image in zip(output, images_bgr)]

    def __call__(self, results: dict) -> np.ndarray:
        return self.estimate([results['img']])[0]

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state['_model'] = None  # workers build their own
        return state

    def __repr__(self) -> str:
        return f'{type(self).__name__}(weights={self.weights!r}, input_size={self.input_size})'

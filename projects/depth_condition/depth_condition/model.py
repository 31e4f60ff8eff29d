"""DiffHand with the paper's extra condition: a depth image through a zero-initialised branch.

Li et al. 2023, Sec. 3.3 "Extra condition": after training the original network, it is
fine-tuned with an extra block fed with a depth image, "composed of several convolutional
layers, all of which are initialized with zero weights and biases".

Read literally (every layer zero) only the last layer's bias would ever get a gradient: a zero
weight passes no gradient to the layers before it, and a zero input gives the last weight
none either (``zero_init='all'`` reproduces this; a test shows it). So, as ControlNet's "zero
convolution" does, only the layer where the branch joins the base network starts at zero
(``zero_init='join'``, the default); the inner convolutions start at PyTorch's default
initialisation. Either way the fine-tune model's output at initialisation is the base
checkpoint's exactly.
"""
from typing import Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from mmengine.model import BaseModule
from torch import Tensor, nn

from diffhand_mm.models.estimators import DiffHand
from .preprocessor import RGBDDataPreprocessor
from .registry import MODELS


@MODELS.register_module()
class DepthBranch(BaseModule):
    """Convolutions on the depth image, then a 1x1 "zero convolution" onto the join's width.

    Args:
        out_channels: Channels of the base network's features where the branch joins.
        widths: Output channels of the 3x3 convolutions (each followed by SiLU).
        strides: Their strides.
        zero_init: ``'join'`` (zero only the joining 1x1 convolution) or ``'all'`` (every
            layer zero, the paper's literal wording).
        init_cfg: MMEngine init config.
    """

    def __init__(self, out_channels: int, widths: Sequence[int] = (16, 32, 64),
                 strides: Sequence[int] = (2, 2, 2), zero_init: str = 'join',
                 init_cfg: Optional[dict] = None) -> None:
        super().__init__(init_cfg=init_cfg)
        if zero_init not in ('join', 'all'):
            raise ValueError(f"DepthBranch: zero_init must be 'join' or 'all', got "
                             f'{zero_init!r}.')
        if len(widths) != len(strides) or not widths:
            raise ValueError(f'DepthBranch: widths {widths} and strides {strides} must be '
                             'non-empty and of equal length.')
        layers, channels = [], 1
        for width, stride in zip(widths, strides):
            layers += [nn.Conv2d(channels, width, 3, stride, 1), nn.SiLU()]
            channels = width
        self.convs = nn.Sequential(*layers)
        self.zero_conv = nn.Conv2d(channels, out_channels, 1)
        self.zero_init = zero_init
        self._zero_layers()

    def _zero_layers(self) -> None:
        layers = [self.zero_conv] + ([m for m in self.convs if isinstance(m, nn.Conv2d)]
                                     if self.zero_init == 'all' else [])
        for layer in layers:
            nn.init.zeros_(layer.weight)
            nn.init.zeros_(layer.bias)

    def init_weights(self) -> None:
        super().init_weights()
        self._zero_layers()  # whatever an init_cfg did, the branch starts as a no-op

    def forward(self, depth: Tensor, size: Tuple[int, int]) -> Tensor:
        """Depth (B, 1, H, W) -> features (B, out_channels, *size) to add at the join."""
        features = self.convs(depth)
        if tuple(features.shape[-2:]) != tuple(size):
            if all(a >= b for a, b in zip(features.shape[-2:], size)):
                features = F.adaptive_avg_pool2d(features, size)
            else:
                features = F.interpolate(features, size=size, mode='bilinear',
                                         align_corners=False)
        return self.zero_conv(features)


@MODELS.register_module()
class DepthConditionedDiffHand(DiffHand):
    """DiffHand fed RGB-D inputs: the depth enters the image encoder through a
    :class:`DepthBranch` added to the output of one of its modules.

    ``join`` names that module (a dotted path in this model): ``'backbone'`` adds the depth
    features to the encoder's feature map F (the decoder's cross-attention and the camera
    head read it; the embedding e is computed before, so it does not see the depth);
    ``'backbone.model.bn1'`` (MobileNetV3 in timm: the stem, conv + norm + activation) adds
    them early, so every encoder stage, F and e see the depth. The branch's output width and
    size follow from a probe of the encoder.

    Inputs are (B, 4, H, W): the normalised image and depth (``RGBDDataPreprocessor``); the
    depth enters only through the branch, so a base DiffHand checkpoint loads unchanged (the
    branch's weights are the only missing keys) and predicts exactly as before until the
    branch is trained.

    Args:
        backbone, head, train_cfg, test_cfg, init_cfg: As :class:`DiffHand`.
        depth_branch: Keyword arguments of :class:`DepthBranch` (``out_channels`` is filled).
        join: Dotted name of the module whose output receives the depth features.
        freeze_base: Train only the branch (ControlNet-style); False fine-tunes everything.
        data_preprocessor: Defaults to ``RGBDDataPreprocessor``.
    """

    def __init__(self, backbone: dict, head: dict, depth_branch: Optional[dict] = None,
                 join: str = 'backbone', freeze_base: bool = False,
                 data_preprocessor: Optional[dict] = None, train_cfg: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(backbone, head,
                         data_preprocessor=data_preprocessor or dict(type=RGBDDataPreprocessor),
                         train_cfg=train_cfg, test_cfg=test_cfg, init_cfg=init_cfg)
        try:
            join_module = self.get_submodule(join)
        except AttributeError as err:
            raise ValueError(f'DepthConditionedDiffHand: join={join!r} is not a module of the '
                             f'model ({err}).') from None
        self.join = join
        self._depth: Optional[Tensor] = None
        channels = self._probe_join_channels(join_module)
        # Built with the global random state forked: the branch's initialisation does not
        # shift the random numbers drawn later (training noise, timesteps, test-time noise),
        # so a run with depth and one without, from the same seed, draw the same ones.
        with torch.random.fork_rng(devices=[]):
            self.depth_branch = DepthBranch(channels, **(depth_branch or {}))
        join_module.register_forward_hook(self._add_depth_features)
        self.freeze_base = freeze_base
        if freeze_base:
            for name, param in self.named_parameters():
                param.requires_grad_(name.startswith('depth_branch.'))

    @torch.no_grad()
    def _probe_join_channels(self, join_module: nn.Module) -> int:
        shapes = []
        handle = join_module.register_forward_hook(
            lambda module, args, output: shapes.append(self._join_tensor(output).shape))
        size = int(getattr(self.backbone, 'img_size', 224))
        was_training = self.backbone.training
        try:
            self.backbone.eval()
            self.backbone(torch.zeros(1, 3, size, size))
        finally:
            handle.remove()
            self.backbone.train(was_training)
        return shapes[0][1]

    def _join_tensor(self, output) -> Tensor:
        tensor = output[0] if isinstance(output, (tuple, list)) else output
        if not (isinstance(tensor, Tensor) and tensor.dim() == 4):
            raise ValueError(f'DepthConditionedDiffHand: the output of {self.join!r} must be a '
                             '(B, C, h, w) feature map (or a tuple starting with one), got '
                             f'{getattr(tensor, "shape", type(tensor))}.')
        return tensor

    def _add_depth_features(self, module, args, output):
        if self._depth is None:  # the encoder called without depth (the probe)
            return output
        features = self._join_tensor(output)
        joined = features + self.depth_branch(self._depth, tuple(features.shape[-2:]))
        if isinstance(output, (tuple, list)):
            return type(output)([joined, *output[1:]])
        return joined

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Normalised RGB-D inputs (B, 4, H, W) -> (feature_map, embedding) with the depth
        features added at ``join``."""
        if inputs.dim() != 4 or inputs.shape[1] != 4:
            raise ValueError('DepthConditionedDiffHand: inputs must be RGB-D (B, 4, H, W) '
                             f'(PackRGBDInputs + RGBDDataPreprocessor), got '
                             f'{tuple(inputs.shape)}.')
        self._depth = inputs[:, 3:]
        try:
            return self.backbone(inputs[:, :3])
        finally:
            self._depth = None

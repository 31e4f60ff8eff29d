"""Normalisation of RGB-D inputs: the image as DiffHand's, the depth channel on its own."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor

from .registry import MODELS


@MODELS.register_module()
class RGBDDataPreprocessor(BaseDataPreprocessor):
    """Stacks (4, H, W) inputs (BGR 0-255 + depth), moves them to the device and normalises.

    Output channels: R, G, B normalised with ``mean`` / ``std`` (RGB order, as DiffHand's
    ``ImgDataPreprocessor`` with ``bgr_to_rgb=True``), then the depth as
    ``(depth - depth_mean) / depth_std``. ``mean`` and ``std`` hold all four channels'
    values, so code that asks what a black, infinitely far pixel becomes (``-mean / std``,
    the fill of test-time augmentation) gets it for the depth too.

    Args:
        mean: RGB means (0-255).
        std: RGB standard deviations (0-255).
        depth_mean: Subtracted from the depth channel.
        depth_std: Divides the depth channel.
        bgr_to_rgb: Whether the loaded images are BGR (diffhand_mm's loaders: yes).
    """

    def __init__(self, mean: Sequence[float] = (123.675, 116.28, 103.53),
                 std: Sequence[float] = (58.395, 57.12, 57.375), depth_mean: float = 0.5,
                 depth_std: float = 0.25, bgr_to_rgb: bool = True,
                 non_blocking: Optional[bool] = False) -> None:
        super().__init__(non_blocking)
        if len(mean) != 3 or len(std) != 3:
            raise ValueError(f'RGBDDataPreprocessor: mean and std need 3 values (RGB), got '
                             f'{len(mean)} and {len(std)}.')
        self.register_buffer('mean', torch.tensor([*mean, depth_mean]).view(-1, 1, 1), False)
        self.register_buffer('std', torch.tensor([*std, depth_std]).view(-1, 1, 1), False)
        self.channel_order = [2, 1, 0, 3] if bgr_to_rgb else [0, 1, 2, 3]

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        inputs = data['inputs']
        if isinstance(inputs, (list, tuple)):
            inputs = torch.stack(list(inputs))
        if inputs.dim() != 4 or inputs.shape[1] != 4:
            raise ValueError(f'RGBDDataPreprocessor: expected inputs (B, 4, H, W) (BGR + depth, '
                             f'from PackRGBDInputs), got {tuple(inputs.shape)}.')
        inputs = inputs[:, self.channel_order].float()
        return dict(inputs=(inputs - self.mean) / self.std,
                    data_samples=data.get('data_samples'))

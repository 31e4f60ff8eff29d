"""DiffHand's whole test-time sampler as one traceable module (for TorchScript / ONNX)."""
from typing import Tuple

import torch
from torch import Tensor, nn



class DiffHandSampler(nn.Module):
    """Preprocessing + encoder + DDIM loop unrolled for ``sampling_steps`` + camera.

    The initial noise is an input, so the module is a pure function of its inputs (DDIM with
    eta = 0) and an exported copy can be compared with eager PyTorch on the same noise. It
    produces what ``DiffusionMeshHead.predict`` produces with one hypothesis, for the input
    crop (no crop undoing, no flip, no hypothesis selection).

    Args:
        model: A built ``DiffHand`` (its weights are shared, not copied).
        sampling_steps: DDIM steps baked into the unrolled loop.
    """

    def __init__(self, model: nn.Module, sampling_steps: int = 10) -> None:
        super().__init__()
        if not model.head.use_diffusion:
            raise ValueError('DiffHandSampler: the model was built with use_diffusion=False; '
                             'there is no sampler to export.')
        self.backbone = model.backbone
        self.head = model.head
        self.sampling_steps = int(sampling_steps)
        # The visited timesteps are Python ints computed here, outside any tracer, so the
        # exported graph holds them as constants (torch.export cannot guard on .tolist()).
        self.timesteps = self.head.diffusion.timesteps(self.sampling_steps)
        preprocessor = model.data_preprocessor
        self.register_buffer('mean', preprocessor.mean.detach().reshape(1, -1, 1, 1).float(),
                             persistent=False)
        self.register_buffer('std', preprocessor.std.detach().reshape(1, -1, 1, 1).float(),
                             persistent=False)
        self.bgr_to_rgb = bool(getattr(preprocessor, '_channel_conversion', False))

    def forward(self, images: Tensor, noise: Tensor, cam_K: Tensor) -> Tuple[Tensor, Tensor,
                                                                                Tensor]:
        """Sample one mesh per crop.

        Args:
            images: (B, 3, H, W) float32 BGR crops, 0-255 (``PackHandInputs`` ``inputs``).
            noise: (B, N, 3) standard normal initial x_T; N = ``head.decoder.num_points``.
            cam_K: (B, 3, 3) intrinsics of the crops.

        Returns:
            tuple: ``vertices`` (B, V, 3) and ``joints_3d`` (B, 21, 3) metres in the crops'
            camera frame, ``camera`` (B, 3) = (s, t_x, t_y).
        """
        if self.bgr_to_rgb:
            images = images.flip(1)
        feats = self.backbone((images - self.mean) / self.std)
        # The head's own sampling loop and placement; eta = 0, the loop unrolled by a tracer.
        vertices = self.head.sample_from_noise(self.head.decoder.encode_image(*feats), noise,
                                               self.timesteps)
        height, width = images.shape[2:]
        input_size = torch.tensor([[float(width), float(height)]], device=images.device)
        placement = self.head.place(feats, vertices, cam_K, input_size.expand(len(images), 2))
        return placement.vertices, placement.joints_3d, placement.camera

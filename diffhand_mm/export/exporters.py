"""Export :class:`DiffHandSampler` to TorchScript (``torch.jit.trace``) and ONNX.

Both exports are traces: the batch size, the crop size and the number of DDIM steps of the
example inputs are fixed in the file (the loop is unrolled). ONNX uses PyTorch's TorchScript-
based exporter (``dynamo=False``): it needs only ``onnx``, and takes seconds where the
``torch.export`` path takes tens of seconds on this model.
"""
import warnings
from typing import Dict, Sequence, Tuple

import numpy as np
import torch
from torch import Tensor

from .sampler import DiffHandSampler

INPUT_NAMES = ('images', 'noise', 'cam_K')
OUTPUT_NAMES = ('vertices', 'joints_3d', 'camera')


def example_inputs(sampler: DiffHandSampler, batch_size: int = 1,
                   input_size: Tuple[int, int] = (224, 224), focal: float = 1000.0,
                   seed: int = 0) -> Tuple[Tensor, Tensor, Tensor]:
    """Inputs of the right shapes for tracing: random crops, noise, a centred camera.

    Args:
        sampler: The module to export.
        batch_size: B baked into the export.
        input_size: (W, H) of the crops, baked into the export.
        focal: Focal length in pixels of the example intrinsics (any value; K is an input).
        seed: Seed of the random example.

    Returns:
        tuple: ``images`` (B,3,H,W) float32 0-255, ``noise`` (B,N,3) with N the decoder's
        signal points (``decoder.num_points``), ``cam_K`` (B,3,3).
    """
    generator = torch.Generator().manual_seed(seed)
    width, height = input_size
    images = torch.randint(0, 256, (batch_size, 3, height, width), generator=generator).float()
    noise = torch.randn((batch_size, sampler.head.decoder.num_points, 3), generator=generator)
    cam_K = torch.tensor([[focal, 0.0, (width - 1) / 2], [0.0, focal, (height - 1) / 2],
                          [0.0, 0.0, 1.0]]).repeat(batch_size, 1, 1)
    return images, noise, cam_K


class _NoAttentionFastPath:
    """Route ``nn.MultiheadAttention`` through its plain ops while tracing: its inference
    fast path is one fused operator that ONNX has no mapping for."""

    def __enter__(self):
        self.previous = torch.backends.mha.get_fastpath_enabled()
        torch.backends.mha.set_fastpath_enabled(False)

    def __exit__(self, *exc):
        torch.backends.mha.set_fastpath_enabled(self.previous)


def export_torchscript(sampler: DiffHandSampler, inputs: Sequence[Tensor], path: str) -> str:
    """Trace ``sampler`` on ``inputs`` and save it with ``torch.jit.save``; returns ``path``."""
    sampler.eval()
    with torch.no_grad(), _NoAttentionFastPath(), warnings.catch_warnings():
        # The tracer warns about every shape it freezes; freezing them is the intent.
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', FutureWarning)
        traced = torch.jit.trace(sampler, tuple(inputs), check_trace=False)
    torch.jit.save(traced, path)
    return path


def export_onnx(sampler: DiffHandSampler, inputs: Sequence[Tensor], path: str,
                opset: int = 17) -> str:
    """Export ``sampler`` to ONNX (opset >= 17) with named inputs and outputs.

    Raises:
        ImportError: ``onnx`` is not installed (it is an optional dependency).
        ValueError: ``opset`` < 17.
    """
    if opset < 17:
        raise ValueError(f'export_onnx: opset must be >= 17 (LayerNormalization), got {opset}.')
    try:
        import onnx  # noqa: F401
    except ImportError as error:
        raise ImportError('ONNX export needs the optional package `onnx` '
                          '(pip install onnx onnxruntime).') from error
    sampler.eval()
    with torch.no_grad(), _NoAttentionFastPath(), warnings.catch_warnings():
        warnings.simplefilter('ignore', torch.jit.TracerWarning)
        warnings.simplefilter('ignore', DeprecationWarning)
        warnings.simplefilter('ignore', FutureWarning)
        torch.onnx.export(sampler, tuple(inputs), path, opset_version=opset, dynamo=False,
                          input_names=list(INPUT_NAMES), output_names=list(OUTPUT_NAMES))
    return path


def run_exported(path: str, inputs: Sequence[Tensor]) -> Tuple[np.ndarray, ...]:
    """Run a TorchScript (``.pt``) or ONNX (``.onnx``, with onnxruntime) export on ``inputs``."""
    if path.endswith('.onnx'):
        try:
            import onnxruntime
        except ImportError as error:
            raise ImportError('Running an ONNX export needs the optional package '
                              '`onnxruntime`.') from error
        session = onnxruntime.InferenceSession(path, providers=['CPUExecutionProvider'])
        feeds = {name: t.numpy() for name, t in zip(INPUT_NAMES, inputs)}
        return tuple(session.run(list(OUTPUT_NAMES), feeds))
    module = torch.jit.load(path, map_location='cpu')
    with torch.no_grad():
        return tuple(t.numpy() for t in module(*inputs))


def max_abs_differences(reference: Sequence[Tensor],
                        exported: Sequence[np.ndarray]) -> Dict[str, float]:
    """Largest absolute difference per output name (metres for vertices and joints)."""
    return {name: float(np.abs(ref.detach().cpu().numpy() - out).max())
            for name, ref, out in zip(OUTPUT_NAMES, reference, exported)}

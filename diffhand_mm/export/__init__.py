"""Export of DiffHand's whole sampler (encoder + unrolled DDIM + camera) to TorchScript / ONNX."""
from .exporters import (INPUT_NAMES, OUTPUT_NAMES, example_inputs, export_onnx,
                        export_torchscript, max_abs_differences, run_exported)
from .sampler import DiffHandSampler

__all__ = ['DiffHandSampler', 'INPUT_NAMES', 'OUTPUT_NAMES', 'example_inputs', 'export_onnx',
           'export_torchscript', 'max_abs_differences', 'run_exported']

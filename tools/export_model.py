"""Export DiffHand's whole sampler (encoder + DDIM unrolled for --steps + camera) to
TorchScript or ONNX, and check the export against eager PyTorch on the same noise.

Examples:
    python tools/export_model.py --config configs/diffhand_tiny_synthhand.py \
        --checkpoint work_dirs/diffhand_tiny_synthhand/iter_300.pth \
        --format torchscript --steps 10 --out diffhand_tiny.pt
    python tools/export_model.py --config C --checkpoint CKPT --format onnx --steps 10 \
        --out diffhand.onnx        # needs `onnx`; the check needs `onnxruntime`

Inputs of the exported graph: images (B,3,H,W) float32 BGR 0-255 crops, noise (B,V,3),
cam_K (B,3,3); outputs: vertices (B,V,3), joints_3d (B,21,3) metres in the crop's camera
frame, camera (B,3). B, H, W and the step count are fixed in the file (see docs/inference.md).
"""
import argparse

import torch

from diffhand_mm.apis import build_test_pipeline, init_model
from diffhand_mm.export import (DiffHandSampler, example_inputs, export_onnx, export_torchscript,
                                max_abs_differences, run_exported)
from diffhand_mm.registry import type_name
from diffhand_mm.utils.cli import add_debug_argument, run_tool

TOLERANCE_M = 1e-4


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Export the DiffHand sampler')
    parser.add_argument('--config', required=True)
    parser.add_argument('--checkpoint', help='checkpoint (without one: random weights)')
    parser.add_argument('--format', choices=['torchscript', 'onnx'], required=True)
    parser.add_argument('--steps', type=int, default=10, help='DDIM steps to unroll')
    parser.add_argument('--out', required=True, help='output file (.pt or .onnx)')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--input-size', type=int, default=None,
                        help='crop side in pixels (default: the config test pipeline)')
    parser.add_argument('--opset', type=int, default=17)
    parser.add_argument('--no-check', action='store_true',
                        help='skip running the export against eager PyTorch')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> dict:
    args = parse_args(argv)
    model, cfg = init_model(args.config, args.checkpoint)
    if args.input_size is None:
        crop = next(t for t in build_test_pipeline(cfg) if type_name(t['type']) == 'HandCrop')
        input_size = tuple(crop['input_size'])
    else:
        input_size = (args.input_size, args.input_size)
    sampler = DiffHandSampler(model, args.steps).eval()
    inputs = example_inputs(sampler, args.batch_size, input_size)
    if args.format == 'torchscript':
        export_torchscript(sampler, inputs, args.out)
    else:
        export_onnx(sampler, inputs, args.out, opset=args.opset)
    print(f'wrote {args.out}: {args.format}, {args.steps} DDIM steps, batch {args.batch_size}, '
          f'crop {input_size[0]}x{input_size[1]}')
    if args.no_check:
        return {}
    # Check on noise and a camera other than the traced example's: both are real inputs.
    images, noise, cam_K = inputs
    noise = torch.randn(noise.shape, generator=torch.Generator().manual_seed(1))
    cam_K = cam_K * torch.tensor([[1.3], [1.3], [1.0]])
    with torch.no_grad():
        eager = sampler(images, noise, cam_K)
    differences = max_abs_differences(eager, run_exported(args.out, (images, noise, cam_K)))
    print('max |exported - eager|: ' + ', '.join(f'{k} {v:.2e}' for k, v in differences.items()))
    if max(differences['vertices'], differences['joints_3d']) > TOLERANCE_M:
        raise SystemExit(f'export differs from eager PyTorch by more than {TOLERANCE_M} m')
    return differences


if __name__ == '__main__':
    run_tool(main)

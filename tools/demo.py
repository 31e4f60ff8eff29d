"""Hand meshes from an image, a folder of images or a video, with a trained DiffHand.

Examples:
    python tools/demo.py hand.jpg --config configs/diffhand_tiny_synthhand.py \
        --checkpoint work_dirs/diffhand_tiny_synthhand/iter_300.pth --out-dir demo_out
    python tools/demo.py clip.mp4 --config C --checkpoint CKPT --out-dir out \
        --bbox 120 80 320 300 --hand left --hypotheses 8 --steps 10 --tta

Writes per hand a mesh (.obj, or .ply with --ply) and a JSON (vertices, joints in metres,
camera frame; joints_2d in pixels; K; box), per picture an overlay and a side view, per
video an overlay video (see docs/inference.md).

Inputs that cannot be used (unreadable or empty files, videos that do not open, images or
boxes too small to hold a hand) are reported by name and skipped; a summary lists them at the
end and the exit status is 1. ``--strict`` stops at the first one instead (exit status 2).
Every output file is complete or absent (written under a hidden name, then renamed).
"""
import argparse
import sys

import numpy as np

from diffhand_mm.apis import MeshInferencer, MeshWriter
from diffhand_mm.utils.cli import add_debug_argument, run_tool
from diffhand_mm.utils.threads import add_threads_argument, configure_threads


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='DiffHand demo: image/folder/video -> meshes')
    parser.add_argument('input', help='image, folder of images, or video file')
    parser.add_argument('--config', required=True, help='config file')
    parser.add_argument('--checkpoint', help='checkpoint file (without one: random weights)')
    parser.add_argument('--out-dir', required=True, help='output folder')
    parser.add_argument('--bbox', type=float, nargs=4, metavar=('X1', 'Y1', 'X2', 'Y2'),
                        help='hand box in pixels (default: the whole image)')
    parser.add_argument('--hand', choices=['left', 'right'], default='right')
    parser.add_argument('--K', type=float, nargs=4, metavar=('FX', 'FY', 'CX', 'CY'),
                        help='intrinsics (default: focal = image diagonal, centred)')
    parser.add_argument('--hypotheses', type=int, default=None,
                        help='diffusion samples per hand; > 1 draws the uncertainty')
    parser.add_argument('--steps', type=int, default=None, help='DDIM steps')
    parser.add_argument('--tta', action='store_true',
                        help='test-time augmentation: rotations -15/0/15 deg x scales 0.9/1/1.1')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--ply', action='store_true', help='write .ply instead of .obj')
    parser.add_argument('--no-side-view', action='store_true')
    parser.add_argument('--device', default='cpu')
    parser.add_argument('--seed', type=int, default=0, help='seed of the diffusion noise')
    add_threads_argument(parser)
    parser.add_argument('--strict', action='store_true',
                        help='stop at the first input that cannot be used (default: report it, '
                        'skip it, go on, exit with status 1 at the end)')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None) -> None:
    args = parse_args(argv)
    configure_threads(args.threads)
    K = None
    if args.K is not None:
        fx, fy, cx, cy = args.K
        K = np.array([[fx, 0.0, cx], [0.0, fy, cy], [0.0, 0.0, 1.0]])
    inferencer = MeshInferencer(args.config, args.checkpoint, device=args.device,
                                num_hypotheses=args.hypotheses, sampling_steps=args.steps,
                                tta=args.tta, batch_size=args.batch_size, seed=args.seed)
    writer = MeshWriter(args.out_dir, inferencer.faces, mesh_format='ply' if args.ply else 'obj',
                        save_side_view=not args.no_side_view)
    results = inferencer(args.input, bboxes=args.bbox, K=K, hand=args.hand, writer=writer,
                         strict=args.strict)
    hands = sum(len(r.hands) for r in results)
    print(f'{len(results)} frame(s), {hands} hand(s); {len(writer.written)} files in '
          f'{args.out_dir}')
    if results.failures:
        print(f'{len(results.failures)} input(s) skipped (--strict stops at the first):',
              file=sys.stderr)
        for failure in results.failures:
            print(f'  {failure.reason}' if failure.source in failure.reason
                  else f'  {failure.source}: {failure.reason}', file=sys.stderr)
        sys.exit(1)


if __name__ == '__main__':
    run_tool(main)

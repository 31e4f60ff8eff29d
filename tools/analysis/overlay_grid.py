"""One picture of the demo's results: a column per image, rows input / overlay / side view.

Example (the README's picture, after ``bash tools/quickstart.sh work_dirs/quickstart``):
    python tools/analysis/overlay_grid.py work_dirs/quickstart/synthhand/evaluation/rgb \\
        work_dirs/quickstart/demo --num 4 --out docs/images/quickstart_overlays.jpg
"""
import argparse
import glob
import os.path as osp

import cv2
import numpy as np

from diffhand_mm.utils.cli import InputError, add_debug_argument, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('images', help='folder of the input images (.jpg / .png)')
    parser.add_argument('demo', help="tools/demo.py's output folder for those images")
    parser.add_argument('--num', type=int, default=4, help='the first N images, by name')
    parser.add_argument('--out', required=True, help='picture to write')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def _read(path: str) -> np.ndarray:
    image = cv2.imread(path)
    if image is None:
        raise InputError(f'cannot read {path} (run tools/demo.py on the images first?)')
    return image


def overlay_grid(images: str, demo: str, num: int) -> np.ndarray:
    """(3 H, num W, 3) uint8 BGR: inputs, overlays and side views of the first ``num`` images."""
    paths = sorted(glob.glob(osp.join(images, '*.jpg')) + glob.glob(osp.join(images, '*.png')))
    if len(paths) < num:
        raise InputError(f'{images} has {len(paths)} images, fewer than --num {num}')
    columns = []
    for path in paths[:num]:
        stem = osp.splitext(osp.basename(path))[0]
        columns.append(np.concatenate([_read(path), _read(osp.join(demo, f'{stem}_overlay.jpg')),
                                       _read(osp.join(demo, f'{stem}_side.jpg'))], axis=0))
    return np.concatenate(columns, axis=1)


def main(argv=None) -> None:
    args = parse_args(argv)
    grid = overlay_grid(args.images, args.demo, args.num)
    if not cv2.imwrite(args.out, grid, [cv2.IMWRITE_JPEG_QUALITY, 90]):
        raise InputError(f'cannot write {args.out}')
    print(f'wrote {args.out} ({grid.shape[1]} x {grid.shape[0]})')


if __name__ == '__main__':
    run_tool(main)

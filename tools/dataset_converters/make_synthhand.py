"""Generate SynthHand, synthetic hands of our open hand model, in FreiHAND's layout.

Example::

    python tools/dataset_converters/make_synthhand.py --out data/synthhand \
        --num-train 32560 --num-test 3960 --seed 0 --img-size 224 --versions 1

The files (json labels, rgb / mask jpgs, uint16 millimetre depth pngs) are described in
``diffhand_mm/synth/writer.py``; ``FreiHANDDataset`` reads them (use ``versions=('gs',)`` or
``skip_missing_versions=True`` when fewer than 4 versions were written). The pose and shape
numbers in ``*_mano.json`` are parameters of OUR open hand model, not of MANO, and the
vertices are in our model's topology. The same seed gives the same files.

A non-empty ``--out`` is refused unless ``--overwrite`` is given, which replaces the SynthHand
files there (nothing of an earlier, larger run is left beside the new labels) and leaves any
other file alone. Files appear only once all are written.
"""
import argparse

from diffhand_mm.synth import write_synthhand
from diffhand_mm.utils.cli import add_debug_argument, run_tool


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', required=True, help='output folder')
    parser.add_argument('--num-train', type=int, required=True, help='unique training samples')
    parser.add_argument('--num-test', type=int, required=True, help='evaluation samples')
    parser.add_argument('--seed', type=int, default=0, help='dataset seed')
    parser.add_argument('--img-size', type=int, default=224, help='image side in pixels')
    parser.add_argument('--versions', type=int, default=1, choices=[1, 2, 3, 4],
                        help='training image versions (FreiHAND: gs, hom, sample, auto)')
    parser.add_argument('--no-progress', action='store_true', help='hide the progress bars')
    parser.add_argument('--overwrite', action='store_true',
                        help='replace the SynthHand files of an earlier run in a non-empty --out')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(argv)
    write_synthhand(args.out, args.num_train, args.num_test, seed=args.seed,
                    image_size=args.img_size, versions=args.versions,
                    progress=not args.no_progress, overwrite=args.overwrite)


if __name__ == '__main__':
    run_tool(main)

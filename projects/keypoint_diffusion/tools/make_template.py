"""Write the keypoint template (Procrustes mean of a training set's joints) to a .npy file.

    python projects/keypoint_diffusion/tools/make_template.py \
        data/synthhand/training_xyz.json data/synthhand/keypoint_template.npy
"""
import argparse
import os
import os.path as osp
import sys

import numpy as np

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))
from keypoint_diffusion import mean_root_relative_joints  # noqa: E402


def main(argv=None) -> np.ndarray:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('xyz_file', help="a FreiHAND-layout '*_xyz.json' (list of (21,3) joints)")
    parser.add_argument('out', help='output .npy file')
    args = parser.parse_args(argv)
    if not args.out.endswith('.npy'):
        raise SystemExit(f'{args.out}: the template is written as a .npy file.')
    template = mean_root_relative_joints(args.xyz_file)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    np.save(args.out, template)
    print(f'{args.out}: Procrustes mean of the training joints, wrist at 0, span '
          f'{np.ptp(template, axis=0).round(3).tolist()} m')
    return template


if __name__ == '__main__':
    main()

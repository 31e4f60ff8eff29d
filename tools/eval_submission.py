"""Score an official-format submission against the released ground truth, offline.

Examples:
    python tools/eval_submission.py freihand --gt data/freihand --pred pred.json --out scores.json
    python tools/eval_submission.py ho3d --gt data/ho3d_v2_gt --pred pred.json
    python tools/eval_submission.py dexycb --gt results/anno_hpe_s0_test.pkl --pred res.txt

Ground truth (``--gt``):
    freihand  a directory with ``evaluation_xyz.json`` and ``evaluation_verts.json``.
    ho3d      a directory with HO-3D's released ``evaluation_xyz.json`` and
              ``evaluation_verts.json`` (OpenGL frame, HO-3D joint order, as the official
              ``eval.py`` reads them).
    dexycb    dex-ycb-toolkit's ``anno_hpe_<name>.pkl`` (written by its ``HPEEvaluator``), or a
              directory holding exactly one; joints only (the toolkit has no mesh labels).
Any number of samples is accepted; the prediction must have as many as the ground truth.
Errors are printed and written in millimetres, AUC and F-scores as fractions.
"""
import argparse
import json
import os
from typing import Dict

import numpy as np

from diffhand_mm.evaluation.functional import compute_hand_report
from diffhand_mm.evaluation.submission import (read_dexycb_ground_truth, read_dexycb_results,
                                               read_freihand_ground_truth, read_freihand_pair,
                                               read_ho3d_ground_truth, read_ho3d_submission)
from diffhand_mm.utils.cli import add_debug_argument, run_tool

_DESCRIPTIONS = {
    'MPJPE': 'joint error (mm)',
    'PA-MPJPE': 'joint error, Procrustes-aligned (mm)',
    'ST-MPJPE': 'joint error, scale-translation aligned (mm)',
    'ABS-MPJPE': 'joint error, absolute camera frame (mm)',
    'MPVPE': 'vertex error (mm)',
    'PA-MPVPE': 'vertex error, Procrustes-aligned (mm)',
    'F@5': 'F-score at 5 mm',
    'F@15': 'F-score at 15 mm',
    'PA-F@5': 'F-score at 5 mm, Procrustes-aligned',
    'PA-F@15': 'F-score at 15 mm, Procrustes-aligned',
    'AUC-J': 'joint PCK AUC, 0-50 mm',
    'PA-AUC-J': 'joint PCK AUC, 0-50 mm, Procrustes-aligned',
    'ST-AUC-J': 'joint PCK AUC, 0-50 mm, scale-translation aligned',
    'ABS-AUC-J': 'joint PCK AUC, 0-50 mm, absolute camera frame',
}


def score_freihand_like(benchmark: str, gt_dir: str, pred_file: str) -> Dict[str, float]:
    """Score a FreiHAND or HO-3D ``pred.json`` against the ground truth in ``gt_dir``."""
    if benchmark == 'freihand':
        gt_joints, gt_vertices = read_freihand_ground_truth(gt_dir)
        pred_joints, pred_vertices = read_freihand_pair(pred_file)
    else:
        gt_joints, gt_vertices = read_ho3d_ground_truth(gt_dir)
        pred_joints, pred_vertices = read_ho3d_submission(pred_file)
    if len(pred_joints) != len(gt_joints):
        raise ValueError(f'{pred_file}: {len(pred_joints)} samples, but the ground truth in '
                         f'{gt_dir} has {len(gt_joints)}')
    return compute_hand_report(gt_joints, pred_joints, gt_vertices, pred_vertices,
                               mode=benchmark)


def score_dexycb(gt: str, res_file: str) -> Dict[str, float]:
    """Score a DexYCB results text on every image of the ground truth (extra ids are ignored,
    as in the toolkit)."""
    annotations = read_dexycb_ground_truth(gt)
    results = read_dexycb_results(res_file)
    missing = [image_id for image_id in annotations if image_id not in results]
    if missing:
        raise ValueError(f'{res_file}: {len(missing)} image ids of the ground truth are missing, '
                         f'e.g. {missing[:5]}')
    image_ids = sorted(annotations)
    gt_joints = np.stack([annotations[i] for i in image_ids])
    pred_joints = np.stack([results[i] for i in image_ids])
    return compute_hand_report(gt_joints, pred_joints, mode='dexycb')


def format_table(scores: Dict[str, float]) -> str:
    """A text table of the scores: key, description, value."""
    width = max(len(_DESCRIPTIONS.get(name, '')) for name in scores)
    lines = [f'{"key":<10} {"metric":<{width}} {"value":>10}', '-' * (width + 22)]
    for name, value in scores.items():
        digits = 2 if 'MP' in name else 4
        lines.append(f'{name:<10} {_DESCRIPTIONS.get(name, ""):<{width}} {value:>10.{digits}f}')
    return '\n'.join(lines)


def main(argv=None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('benchmark', choices=['freihand', 'ho3d', 'dexycb'])
    parser.add_argument('--gt', required=True, help='ground truth (see above)')
    parser.add_argument('--pred', required=True, help='the submission file')
    parser.add_argument('--out', help='write the scores to this JSON file')
    add_debug_argument(parser)
    args = parser.parse_args(argv)

    if args.benchmark == 'dexycb':
        scores = score_dexycb(args.gt, args.pred)
    else:
        scores = score_freihand_like(args.benchmark, args.gt, args.pred)
    print(format_table(scores))
    if args.out:
        os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
        with open(args.out, 'w') as f:
            json.dump(scores, f, indent=2)
        print(f'scores written to {args.out}')
    return scores


if __name__ == '__main__':
    run_tool(main)

"""Accuracy of one sample versus K hypotheses combined by each rule, and the oracle.

Samples K meshes per test image from a checkpoint (the encoder runs once per image; the
hypotheses can be saved and reused with ``--samples-file``) and reports root-relative
PA-MPJPE / PA-MPVPE (mm) and roughness (degrees, mean absolute dihedral-angle difference to the
ground truth) for:

- one sample (K = 1): every hypothesis scored as if it were the only one, averaged over the K
  (the expected K = 1 result; "first sample" is hypothesis 0 alone, one draw of it);
- each selection rule: ``ConsensusSelector`` and, when the checkpoint holds its fitted
  weights, the config's learned selector (e.g. ``JointEvidenceSelector``);
- the per-vertex mean of the K hypotheses;
- the oracle: per image the hypothesis of lowest PA-MPJPE, the best any rule could pick.

Test images: a FreiHAND-layout folder (``--data-root``, its evaluation split; e.g. written by
``make_synthhand.py --seed 1``) or SynthHand rendered on the fly (``--seed``).

Example:
    python tools/analysis/compare_hypothesis_rules.py configs/diffhand_tiny_synthhand.py \\
        checkpoints/diffhand_tiny_synthhand.pth --data-root data/synthhand_s1 \\
        --num-samples 200 --hypotheses 8 --samples-file work_dirs/s1_k8.pt
"""
import argparse
import copy
from typing import Dict, List

import numpy as np
import torch

from diffhand_mm.apis.hypothesis_samples import (HypothesisSamples, add_sampling_arguments,
                                                 model_and_samples_from_args, pa_joint_errors)
from diffhand_mm.evaluation.functional import compute_hand_report, dihedral_angle_errors
from diffhand_mm.models.heads import (ConsensusSelector, JointEvidenceSelector,
                                      take_hypotheses)
from diffhand_mm.utils.cli import run_tool
from diffhand_mm.utils.markdown import markdown_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = add_sampling_arguments(argparse.ArgumentParser(description=__doc__.split('\n')[0]))
    return parser.parse_args(argv)


def score(samples: HypothesisSamples, vertices: torch.Tensor, regress_joints,
          faces: np.ndarray) -> Dict[str, float]:
    """PA-MPJPE, PA-MPVPE (mm) and roughness (deg) of one mesh per image (N, V, 3)."""
    gt_joints, gt_vertices = samples.gt_joints.numpy(), samples.gt_vertices.numpy()
    joints = regress_joints(vertices)
    report = compute_hand_report(gt_joints, joints.numpy(), gt_vertices, vertices.numpy())
    return dict(pa_mpjpe=report['PA-MPJPE'], pa_mpvpe=report['PA-MPVPE'],
                roughness=float(dihedral_angle_errors(gt_vertices, vertices.numpy(),
                                                      faces).mean()))


def compare(model, samples: HypothesisSamples) -> List[Dict]:
    """Rows: rule name and its scores (see the module doc)."""
    head = model.head
    hypotheses = samples.hypotheses
    num, k = hypotheses.shape[:2]
    faces = head.faces.numpy()
    singles = [score(samples, hypotheses[:, i], head.regress_joints, faces) for i in range(k)]
    rows = [dict(rule='one sample (K = 1), mean of the K',
                 **{m: float(np.mean([s[m] for s in singles])) for m in singles[0]}),
            dict(rule='first sample (hypothesis 0)', **singles[0])]
    selectors = {f'consensus of {k}': ConsensusSelector()}
    learned = head.hypothesis_selector
    if isinstance(learned, JointEvidenceSelector):
        # its two terms alone, then both (the configured rule)
        for label, weights in (('agreement with the other hypotheses', (1.0, 0.0)),
                               ('agreement with the joint evidence', (0.0, 1.0))):
            variant = copy.deepcopy(learned)
            variant.consensus_weight, variant.evidence_weight = weights
            selectors[f'{label} only'] = variant
    if not isinstance(learned, ConsensusSelector):
        selectors[f'{type(learned).__name__} of {k} (config)'] = learned
    with torch.no_grad():
        for name, selector in selectors.items():
            chosen, _, _ = selector(samples.feats, hypotheses, head.regress_joints)
            rows.append(dict(rule=name, **score(samples, chosen, head.regress_joints, faces)))
    rows.append(dict(rule=f'per-vertex mean of {k}',
                     **score(samples, hypotheses.mean(1), head.regress_joints, faces)))
    joints = head.regress_joints(hypotheses.flatten(0, 1)).reshape(num, k, 21, 3).numpy()
    errors = np.stack([pa_joint_errors(samples.gt_joints.numpy(), joints[:, i])
                       for i in range(k)], 1)
    best = take_hypotheses(hypotheses, torch.as_tensor(errors.argmin(1)))
    rows.append(dict(rule=f'oracle best of {k} (PA-MPJPE)',
                     **score(samples, best, head.regress_joints, faces)))
    reference = rows[0]['pa_mpjpe']
    for row in rows:
        row['vs_k1'] = 100.0 * (row['pa_mpjpe'] / reference - 1.0)
    return rows


def markdown(rows: List[Dict], samples: HypothesisSamples) -> str:
    caption = (f'{len(samples.hypotheses)} images, {samples.hypotheses.shape[1]} hypotheses, '
               f'{samples.steps} DDIM steps')
    table = markdown_table(
        ['mesh returned', 'PA-MPJPE mm', 'vs K = 1', 'PA-MPVPE mm', 'roughness deg'],
        [[row['rule'], f"{row['pa_mpjpe']:.2f}", f"{row['vs_k1']:+.1f}%", f"{row['pa_mpvpe']:.2f}",
          f"{row['roughness']:.1f}"] for row in rows])
    return caption + '\n\n' + table


def main(argv=None) -> List[Dict]:
    model, samples = model_and_samples_from_args(parse_args(argv))
    rows = compare(model, samples)
    print(markdown(rows, samples))
    return rows


if __name__ == '__main__':
    run_tool(main)

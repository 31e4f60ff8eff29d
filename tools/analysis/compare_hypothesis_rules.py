"""Accuracy of one sample versus K hypotheses combined by the consensus rule or averaged.

Samples K meshes per image from a checkpoint (the encoder runs once per image) on unseen
SynthHand samples rendered on the fly, cropped with the config's test pipeline, and reports
root-relative PA-MPJPE / PA-MPVPE in millimetres for: the first hypothesis alone (distributed
as what K = 1 returns; not the same noise draw), the consensus hypothesis (``select_consensus_hypothesis``, what K > 1
returns) and the per-vertex mean of the K hypotheses.

Example:
    python tools/analysis/compare_hypothesis_rules.py configs/diffhand_tiny_synthhand.py \\
        checkpoints/diffhand_tiny_synthhand.pth --num-samples 48 --hypotheses 8 --steps 10 20
"""
import argparse
from typing import Dict, List, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

import diffhand_mm
from diffhand_mm.apis import init_model
from diffhand_mm.evaluation.functional import compute_hand_report
from diffhand_mm.models.heads import select_consensus_hypothesis
from diffhand_mm.registry import DATASETS
from diffhand_mm.utils.cli import add_debug_argument, run_tool
from diffhand_mm.utils.markdown import markdown_table


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--num-samples', type=int, default=48)
    parser.add_argument('--seed', type=int, default=1,
                        help='SynthHand seed of the evaluation stream (1: unseen by ours)')
    parser.add_argument('--hypotheses', type=int, default=8)
    parser.add_argument('--steps', type=int, nargs='+', default=[10])
    add_debug_argument(parser)
    return parser.parse_args(argv)


def compare(config: str, checkpoint: str, num_samples: int, seed: int, hypotheses: int,
            steps: Sequence[int]) -> List[Dict[str, float]]:
    """Rows of (steps, rule, PA-MPJPE mm, PA-MPVPE mm)."""
    diffhand_mm.register_all_modules()
    model, cfg = init_model(config, checkpoint)
    dataset = DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=num_samples,
                                  seed=seed, split='evaluation', pipeline=cfg.test_pipeline))
    data = model.data_preprocessor(pseudo_collate([dataset[i] for i in range(num_samples)]),
                                   False)
    samples = data['data_samples']
    gt_joints = np.stack([s.gt_instances.joints_3d[0].numpy() for s in samples])
    gt_vertices = np.stack([s.gt_instances.vertices[0].numpy() for s in samples])
    root = gt_joints[:, :1]
    head = model.head
    rows = []
    with torch.no_grad():
        feats = model.extract_feat(data['inputs'])
        for num_steps in steps:
            torch.manual_seed(0)
            sampled = head.sample_vertices(feats, hypotheses, num_steps)  # (B, K, V, 3)
            rules = {'first sample (K = 1)': sampled[:, 0],
                     f'consensus of {hypotheses}': select_consensus_hypothesis(sampled)[0],
                     f'mean of {hypotheses}': sampled.mean(1)}
            for rule, vertices in rules.items():
                vertices = head.root_relative(vertices)
                joints = head.regress_joints(vertices)
                report = compute_hand_report(gt_joints - root, joints.numpy(),
                                             gt_vertices - root, vertices.numpy())
                rows.append(dict(steps=num_steps, rule=rule, pa_mpjpe=report['PA-MPJPE'],
                                 pa_mpvpe=report['PA-MPVPE']))
    return rows


def main(argv=None) -> List[Dict[str, float]]:
    args = parse_args(argv)
    rows = compare(args.config, args.checkpoint, args.num_samples, args.seed, args.hypotheses,
                   args.steps)
    print(markdown_table(['DDIM steps', 'mesh returned', 'PA-MPJPE mm', 'PA-MPVPE mm'],
                         [[r['steps'], r['rule'], f"{r['pa_mpjpe']:.2f}", f"{r['pa_mpvpe']:.2f}"]
                          for r in rows]))
    return rows


if __name__ == '__main__':
    run_tool(main)

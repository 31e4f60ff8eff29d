"""Accuracy and cost of test-time augmentation (TTA) for a checkpoint on SynthHand.

Runs the model's ``test_step`` on unseen SynthHand samples (rendered on the fly, cropped with
the config's test pipeline) under each TTA setting, with the same seed for every setting,
and reports PA-MPJPE / PA-MPVPE in millimetres (FreiHAND's official alignment) and the
wall-clock seconds per image of the predictions (encoder, sampling, TTA; data loading
excluded) on this machine, at the torch thread count given.

Settings: ``none`` (plain prediction), ``default`` (:data:`DEFAULT_TTA`, 9 passes),
``graphormer`` (:data:`GRAPHORMER_TTA`, 95 passes), each with Procrustes alignment; append
``-mean`` (e.g. ``graphormer-mean``) to average the un-rotated passes without it.

Example:
    python tools/analysis/evaluate_tta.py configs/diffhand_tiny_synthhand.py \\
        checkpoints/diffhand_tiny_synthhand.pth --num-samples 32 \\
        --settings none default graphormer graphormer-mean
"""
import argparse
import time
from typing import Dict, List, Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate

import diffhand_mm
from diffhand_mm.apis import init_model
from diffhand_mm.evaluation.functional import compute_hand_report
from diffhand_mm.models.tta import DEFAULT_TTA, GRAPHORMER_TTA, augmentation_list
from diffhand_mm.registry import DATASETS
from diffhand_mm.utils.cli import add_debug_argument, run_tool
from diffhand_mm.utils.markdown import markdown_table

SETS = dict(default=DEFAULT_TTA, graphormer=GRAPHORMER_TTA)


def tta_setting(name: str) -> Optional[dict]:
    """The ``test_cfg.tta`` of a setting name (None for 'none')."""
    if name == 'none':
        return None
    base, _, suffix = name.partition('-')
    if base not in SETS or suffix not in ('', 'mean'):
        raise ValueError(f"unknown setting {name!r}: use none, {', '.join(SETS)}, optionally "
                         "with -mean")
    return dict(SETS[base], align='none' if suffix == 'mean' else 'procrustes')


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--num-samples', type=int, default=32)
    parser.add_argument('--seed', type=int, default=1,
                        help='SynthHand seed of the evaluation stream (1: unseen by ours)')
    parser.add_argument('--settings', nargs='+', default=['none', 'default', 'graphormer'])
    parser.add_argument('--steps', type=int, default=10, help='DDIM steps')
    parser.add_argument('--batch-size', type=int, default=4, help='images per test_step')
    parser.add_argument('--batch-passes', type=int, default=None,
                        help='augmented crops per encoder + sampler call (default: all)')
    parser.add_argument('--threads', type=int, default=1)
    add_debug_argument(parser)
    return parser.parse_args(argv)


def evaluate(config: str, checkpoint: str, num_samples: int, seed: int, settings: Sequence[str],
             steps: int = 10, batch_size: int = 4,
             batch_passes: Optional[int] = None) -> List[Dict[str, float]]:
    """Rows of (setting, passes, PA-MPJPE mm, PA-MPVPE mm, seconds per image)."""
    diffhand_mm.register_all_modules()
    model, cfg = init_model(config, checkpoint)
    dataset = DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=num_samples,
                                  seed=seed, split='evaluation', pipeline=cfg.test_pipeline))
    items = [dataset[i] for i in range(num_samples)]
    gt_joints = np.stack([i['data_samples'].gt_instances.joints_3d[0].numpy() for i in items])
    gt_vertices = np.stack([i['data_samples'].gt_instances.vertices[0].numpy() for i in items])
    rows = []
    for name in settings:
        tta = tta_setting(name)
        model.test_cfg.update(sampling_steps=steps, num_hypotheses=1)
        model.test_cfg.pop('tta', None)
        if tta is not None:
            model.test_cfg['tta'] = dict(tta, batch_passes=batch_passes)
        torch.manual_seed(0)
        joints, vertices, seconds = [], [], 0.0
        for start in range(0, num_samples, batch_size):
            batch = pseudo_collate(items[start:start + batch_size])
            begin = time.perf_counter()
            with torch.no_grad():
                predicted = model.test_step(batch)
            seconds += time.perf_counter() - begin
            joints += [s.pred_instances.joints_3d[0].numpy() for s in predicted]
            vertices += [s.pred_instances.vertices[0].numpy() for s in predicted]
        report = compute_hand_report(gt_joints, np.stack(joints), gt_vertices, np.stack(vertices))
        rows.append(dict(setting=name, passes=len(augmentation_list(tta)) if tta else 1,
                         pa_mpjpe=report['PA-MPJPE'], pa_mpvpe=report['PA-MPVPE'],
                         seconds_per_image=seconds / num_samples))
    return rows


def main(argv=None) -> List[Dict[str, float]]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    rows = evaluate(args.config, args.checkpoint, args.num_samples, args.seed, args.settings,
                    args.steps, args.batch_size, args.batch_passes)
    print(markdown_table(['TTA', 'passes', 'PA-MPJPE mm', 'PA-MPVPE mm', 's / image'],
                         [[r['setting'], r['passes'], f"{r['pa_mpjpe']:.2f}",
                           f"{r['pa_mpvpe']:.2f}", f"{r['seconds_per_image']:.2f}"]
                          for r in rows]))
    return rows


if __name__ == '__main__':
    run_tool(main)

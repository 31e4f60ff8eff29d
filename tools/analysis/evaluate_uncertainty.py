"""Does the hypotheses' spread say where the returned mesh is wrong? Calibration of the
per-vertex uncertainty: rank correlations and sparsification curves.

Samples K hypotheses per test image (or reuses ``--samples-file``, shared with
``compare_hypothesis_rules.py``), takes the mesh the config's selector returns, and compares
per vertex two uncertainties with two errors of that mesh:

- ``spread``: what ``DiffusionMeshHead.predict`` reports as ``vertex_uncertainty`` (RMS
  distance of the K hypotheses to their per-vertex mean, all relative to their wrists), against
  the wrist-relative error (the mesh as placed around its wrist, global rotation included);
- ``shape spread``: the RMS distance of the hypotheses, each similarity-aligned onto the
  returned mesh, to it, against the error after Procrustes alignment (what PA-MPVPE averages).

For each pair: Spearman's rank correlation over all (image, vertex) pairs, its mean within an
image (which parts of a hand) and across images (per-image means: which hands), and the
sparsification curve with its AUSE (``diffhand_mm.evaluation.functional.sparsification``).
Writes a markdown table to stdout and the curves to ``--figure``.

Example:
    python tools/analysis/evaluate_uncertainty.py configs/diffhand_tiny_synthhand.py \\
        checkpoints/diffhand_tiny_synthhand.pth --data-root data/synthhand_s1 \\
        --num-samples 200 --samples-file work_dirs/s1_k8.pt --figure uncertainty.png
"""
import argparse
import os.path as osp
from typing import Dict, List

import numpy as np
import torch

from diffhand_mm.apis.hypothesis_samples import (add_sampling_arguments,
                                                 model_and_samples_from_args)
from diffhand_mm.evaluation.functional import (point_errors, procrustes_align,
                                               rank_correlation, sparsification)
from diffhand_mm.models.heads import similarity_align
from diffhand_mm.utils.cli import run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = add_sampling_arguments(argparse.ArgumentParser(description=__doc__.split('\n')[0]))
    parser.add_argument('--figure', help='PNG of the sparsification curves')
    return parser.parse_args(argv)


def shape_spread(hypotheses: torch.Tensor, selected: torch.Tensor) -> torch.Tensor:
    """(B, V): RMS distance of the hypotheses (B, K, V, 3), each similarity-aligned onto the
    selected mesh (B, V, 3), to it."""
    target = selected[:, None].expand_as(hypotheses).double()
    aligned = similarity_align(hypotheses.double(), target)
    return (aligned - target).norm(dim=-1).pow(2).mean(1).sqrt().to(hypotheses.dtype)


def calibration(uncertainty: np.ndarray, error: np.ndarray) -> Dict:
    """Correlations and sparsification of per-vertex uncertainty vs error, (N, V) each."""
    within = [rank_correlation(u, e) for u, e in zip(uncertainty, error)]
    return dict(all=rank_correlation(uncertainty, error), within=float(np.mean(within)),
                across=rank_correlation(uncertainty.mean(1), error.mean(1)),
                sparsification=sparsification(uncertainty, error),
                mean_uncertainty=float(uncertainty.mean()), mean_error=float(error.mean()))


def evaluate(model, samples) -> List[Dict]:
    """Both uncertainty/error pairs of the module doc, for the config selector's meshes."""
    head = model.head
    with torch.no_grad():
        selected, _, spread = head.hypothesis_selector(samples.feats, samples.hypotheses,
                                                       head.regress_joints)
        shape = shape_spread(samples.hypotheses, selected)
    gt = samples.gt_vertices.numpy()
    mesh = selected.numpy()
    return [dict(name='spread vs wrist-relative error',
                 **calibration(spread.numpy(), point_errors(gt, mesh))),
            dict(name='shape spread vs Procrustes-aligned error',
                 **calibration(shape.numpy(), point_errors(gt, procrustes_align(gt, mesh))))]


def markdown(rows: List[Dict]) -> str:
    lines = ['| uncertainty vs error | Spearman, all vertices | within an image (mean) | '
             'across images | AUSE mm | error mm: all / 50% most certain / oracle 50% | '
             'mean uncertainty mm |', '|---|---|---|---|---|---|---|']
    for row in rows:
        curve = row['sparsification']
        half = int(np.argmin(np.abs(curve['fractions'] - 0.5)))
        lines.append(
            f"| {row['name']} | {row['all']:.3f} | {row['within']:.3f} | {row['across']:.3f} | "
            f"{curve['ause'] * 1000:.2f} | {row['mean_error'] * 1000:.1f} / "
            f"{curve['curve'][half] * 1000:.1f} / {curve['oracle'][half] * 1000:.1f} | "
            f"{row['mean_uncertainty'] * 1000:.1f} |")
    return '\n'.join(lines)


def plot(rows: List[Dict], path: str, title: str) -> None:
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    fig, axes = plt.subplots(1, len(rows), figsize=(5.5 * len(rows), 4))
    for ax, row in zip(np.atleast_1d(axes), rows):
        curve = row['sparsification']
        removed = curve['fractions'] * 100
        ax.plot(removed, curve['curve'] * 1000, 'o-', ms=3, label='removing the most uncertain')
        ax.plot(removed, curve['oracle'] * 1000, 'k--', label='oracle (largest errors first)')
        ax.plot(removed, curve['random'] * 1000, ':', color='grey', label='random order')
        ax.set_title(f"{row['name']}\nSpearman {row['all']:.2f}, AUSE "
                     f"{curve['ause'] * 1000:.1f} mm", fontsize=10)
        ax.set_xlabel('vertices removed, %')
        ax.set_ylabel('mean error of the rest, mm')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=100)


def main(argv=None) -> List[Dict]:
    args = parse_args(argv)
    model, samples = model_and_samples_from_args(args)
    rows = evaluate(model, samples)
    num, k = samples.hypotheses.shape[:2]
    print(f'{num} images, {k} hypotheses, {samples.steps} DDIM steps, mesh returned by '
          f'{type(model.head.hypothesis_selector).__name__}')
    print(markdown(rows))
    if args.figure:
        plot(rows, args.figure, f'{osp.basename(args.checkpoint)}: {num} images, K = {k}')
        print(f'wrote {args.figure}')
    return rows


if __name__ == '__main__':
    run_tool(main)

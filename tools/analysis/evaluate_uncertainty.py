"""Does the hypotheses' spread say where the returned mesh is wrong? Calibration of the
per-vertex uncertainty: rank correlations and sparsification curves, against baselines.

Samples K hypotheses per test image (or reuses ``--samples-file``, shared with
``compare_hypothesis_rules.py``), takes the mesh the config's selector returns, and scores
per vertex, for two errors of that mesh:

- the wrist-relative error (the mesh around its wrist, its global rotation included), with
  ``spread``: what ``DiffusionMeshHead.predict`` reports as ``vertex_uncertainty`` (RMS
  distance of the K hypotheses to their per-vertex mean, all relative to their wrists);
- the error after Procrustes alignment (what PA-MPVPE averages), with ``shape spread``: the
  RMS distance of the hypotheses, each similarity-aligned onto the returned mesh, to it;

and two baselines that need no hypotheses: the vertex's distance from the wrist (far parts
move most under a wrong rotation) and a fixed map, the vertex's mean error over the *other*
test images (what a per-vertex prior learnt from errors could at best say; it cannot tell one
image from another).

For each pair: Spearman's rank correlation over all (image, vertex) pairs, its mean within an
image (which parts of a hand), across images (per-image means: which hands; not defined for the
fixed map), and the sparsification curve with its AUSE
(``diffhand_mm.evaluation.functional.sparsification``). Writes a markdown table to stdout and
the curves to ``--figure``.

Example:
    python tools/analysis/evaluate_uncertainty.py configs/diffhand_fast_tiny_synthhand.py \\
        checkpoints/diffhand_fast_tiny_synthhand.pth --data-root data/synthhand_s1 \\
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


def calibration(uncertainty: np.ndarray, error: np.ndarray, across: bool = True) -> Dict:
    """Correlations and sparsification of per-vertex uncertainty vs error, (N, V) each;
    ``across=False`` for an uncertainty that is the same map for every image."""
    within = [rank_correlation(u, e) for u, e in zip(uncertainty, error)]
    return dict(all=rank_correlation(uncertainty, error), within=float(np.mean(within)),
                across=rank_correlation(uncertainty.mean(1), error.mean(1)) if across
                else None,
                sparsification=sparsification(uncertainty, error),
                mean_uncertainty=float(uncertainty.mean()), mean_error=float(error.mean()))


def leave_one_out_map(error: np.ndarray) -> np.ndarray:
    """(N, V): for each image, the per-vertex mean error of the other N - 1 images."""
    return (error.sum(0, keepdims=True) - error) / (len(error) - 1)


def evaluate(model, samples) -> List[Dict]:
    """Rows (error, uncertainty, calibration) of the module doc, for the meshes the config's
    selector returns."""
    head = model.head
    with torch.no_grad():
        selected, _, spread = head.hypothesis_selector(samples.feats, samples.hypotheses,
                                                       head.regress_joints)
        shape = shape_spread(samples.hypotheses, selected)
    gt = samples.gt_vertices.numpy()
    mesh = selected.numpy()
    wrist_distance = np.linalg.norm(mesh, axis=-1)  # the returned mesh is wrist-relative
    rows = []
    for error_name, error, uncertainty_name, uncertainty in (
            ('wrist-relative', point_errors(gt, mesh), 'spread', spread.numpy()),
            ('Procrustes-aligned', point_errors(gt, procrustes_align(gt, mesh)),
             'shape spread', shape.numpy())):
        for name, values, across in ((uncertainty_name, uncertainty, True),
                                     ('distance from the wrist', wrist_distance, True),
                                     ('fixed map (other images)', leave_one_out_map(error),
                                      False)):
            rows.append(dict(error=error_name, uncertainty=name,
                             **calibration(values, error, across)))
    return rows


def markdown(rows: List[Dict]) -> str:
    lines = ['| error | uncertainty | Spearman, all vertices | within an image (mean) | '
             'across images | AUSE mm | error mm: all / 50% most certain / oracle 50% |',
             '|---|---|---|---|---|---|---|']
    for row in rows:
        curve = row['sparsification']
        half = int(np.argmin(np.abs(curve['fractions'] - 0.5)))
        across = '-' if row['across'] is None else f"{row['across']:.3f}"
        lines.append(
            f"| {row['error']} | {row['uncertainty']} | {row['all']:.3f} | "
            f"{row['within']:.3f} | {across} | {curve['ause'] * 1000:.2f} | "
            f"{row['mean_error'] * 1000:.1f} / {curve['curve'][half] * 1000:.1f} / "
            f"{curve['oracle'][half] * 1000:.1f} |")
    return '\n'.join(lines)


def plot(rows: List[Dict], path: str, title: str) -> None:
    """One panel per error: the sparsification curve of each uncertainty, oracle, random."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt
    errors = list(dict.fromkeys(row['error'] for row in rows))
    fig, axes = plt.subplots(1, len(errors), figsize=(5.5 * len(errors), 4.2))
    for ax, error in zip(np.atleast_1d(axes), errors):
        panel = [row for row in rows if row['error'] == error]
        curve = panel[0]['sparsification']
        removed = curve['fractions'] * 100
        for row, style in zip(panel, ('o-', 's--', '^:')):
            ax.plot(removed, row['sparsification']['curve'] * 1000, style, ms=3,
                    label=f"{row['uncertainty']} (AUSE "
                    f"{row['sparsification']['ause'] * 1000:.1f} mm)")
        ax.plot(removed, curve['oracle'] * 1000, 'k-', lw=1, label='oracle (largest errors first)')
        ax.plot(removed, curve['random'] * 1000, ':', color='grey', label='random order')
        ax.set_title(f'{error} error', fontsize=10)
        ax.set_xlabel('vertices removed, most uncertain first, %')
        ax.set_ylabel('mean error of the rest, mm')
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
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

"""Plot and tabulate the learning-curve runs of tools/analysis/run_learning_curves.sh.

Reads, for each run folder under OUT: the training/validation scalars MMEngine wrote
(``<timestamp>/vis_data/scalars.json``) and the final test metrics (``test.log``), then writes
a PNG (loss and validation PA-MPJPE against iterations) and the comparison's section of a markdown
file (other sections untouched).
"""
import argparse
import glob
import json
import os.path as osp
import re

import matplotlib
import numpy as np

from diffhand_mm.utils.markdown import replace_markdown_section

matplotlib.use('Agg')
import matplotlib.pyplot as plt  # noqa: E402

from diffhand_mm.utils.cli import add_debug_argument, run_tool  # noqa: E402

RUN_LABELS = {
    'full': 'DiffHand (cross-modality decoder + diffusion)',
    'no_diffusion': 'no diffusion (single pass)',
    'vanilla_decoder': 'vanilla decoder + diffusion',
    'fast': 'fast DiffHand (coarse decoder + diffusion)',
    'ours_losses': 'our losses (L1, normal cosine)',
    'paper_losses': "the paper's losses (MSE, edge-normal)",
}
#: comparison -> (section title in docs/learning_curves.md, sentence on the runs)
COMPARISONS = {
    'ablations': ("## The paper's ablations: tiny DiffHand, no diffusion, vanilla decoder",
                  'the three side by side'),
    'fast': ('## Fast DiffHand vs the paper decoder (tiny)', 'the two side by side'),
    'losses': ("## Loss sets: the paper's vs ours", 'the tiny model from scratch with our loss '
               "set and with the paper's (`configs/ablations/diffhand_tiny_synthhand_paper_"
               "losses.py`), the two side by side"),
}
BEGIN_MARK = '<!-- plot_learning_curves.py output: begin -->'
END_MARK = '<!-- plot_learning_curves.py output: end -->'


def read_scalars(run_dir: str):
    """Training losses and validation metrics of one run.

    Returns:
        tuple: ``losses`` [(iteration, loss)], ``val`` [(iteration, PA-MPJPE, PA-MPVPE)] and
        ``train_seconds`` [(iteration, training seconds so far)], the last summed from the
        logged iteration times (each logged ``time`` is the mean over the iterations since the
        previous log line; validation is not in it).
    """
    files = sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json')))
    if not files:
        raise FileNotFoundError(f'no vis_data/scalars.json under {run_dir}')
    losses, val, train_seconds = [], [], [(0, 0.0)]
    last_train_step = 0
    for line in open(files[-1]):
        record = json.loads(line)
        if 'loss' in record:
            seconds = train_seconds[-1][1] + record['time'] * (record['step'] - last_train_step)
            train_seconds.append((record['step'], seconds))
            last_train_step = record['step']
            losses.append((record['step'], record['loss']))
        if 'mesh/PA-MPJPE' in record:
            # MMEngine stamps validation records with the validation loop's own step; place
            # them at the training iteration they followed.
            val.append((last_train_step, record['mesh/PA-MPJPE'], record['mesh/PA-MPVPE']))
    return losses, val, train_seconds


def seconds_at(train_seconds, iteration: float) -> float:
    """Training seconds at ``iteration``, interpolated in ``read_scalars``' list."""
    steps, seconds = zip(*train_seconds)
    return float(np.interp(iteration, steps, seconds))


def read_test_metrics(run_dir: str) -> dict:
    """The mesh/* numbers of the last test line of ``test.log``."""
    path = osp.join(run_dir, 'test.log')
    lines = [ln for ln in open(path) if '(test)' in ln and 'mesh/' in ln]
    if not lines:
        raise RuntimeError(f'{path}: no test metrics line')
    return {k: float(v) for k, v in re.findall(r'mesh/(\S+): (-?[\d.]+)', lines[-1])}


def read_budget_log(run_dir: str):
    """(iterations trained, training seconds) from the budget hook's log line."""
    text = open(osp.join(run_dir, 'train.log')).read()
    found = re.findall(r'TrainTimeBudgetHook: (\d+) s of training .* at iteration (\d+)', text)
    if not found:
        return None, None
    seconds, iters = found[-1]
    return int(iters), int(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('out_dir', help='folder with one sub-folder per run')
    parser.add_argument('--budget', type=float, required=True, help='seconds per run')
    parser.add_argument('--runs', nargs='+', choices=list(RUN_LABELS),
                        default=['full', 'no_diffusion', 'vanilla_decoder'])
    parser.add_argument('--comparison', choices=list(COMPARISONS), default='ablations',
                        help='which section of --out-md to write')
    parser.add_argument('--out-md', required=True)
    parser.add_argument('--out-png', required=True)
    add_debug_argument(parser)
    args = parser.parse_args()

    runs = [name for name in args.runs if osp.isdir(osp.join(args.out_dir, name))]
    fig, (ax_loss, ax_val, ax_time) = plt.subplots(1, 3, figsize=(17, 4.5))
    rows = []
    for name in runs:
        run_dir = osp.join(args.out_dir, name)
        losses, val, train_seconds = read_scalars(run_dir)
        test = read_test_metrics(run_dir)
        iters, seconds = read_budget_log(run_dir)
        if losses:
            ax_loss.plot(*zip(*losses), label=RUN_LABELS[name], lw=1)
        if val:
            ax_val.plot([v[0] for v in val], [v[1] for v in val], 'o-', label=RUN_LABELS[name])
            ax_time.plot([seconds_at(train_seconds, v[0]) / 60 for v in val],
                         [v[1] for v in val], 'o-', label=RUN_LABELS[name])
        rows.append((RUN_LABELS[name], iters, seconds, test['PA-MPJPE'], test['PA-MPVPE'],
                     test.get('F@15', float('nan')), test.get('PA-F@15', float('nan'))))
    ax_loss.set(xlabel='training iteration (batch 16)', ylabel='total training loss',
                yscale='log', title='training loss')
    ax_val.set(xlabel='training iteration (batch 16)', ylabel='PA-MPJPE (mm), 64 test images',
               title='validation during training')
    ax_time.set(xlabel='training time (min, from the logged iteration times)',
                ylabel='PA-MPJPE (mm), 64 test images', title='validation against time')
    for ax in (ax_loss, ax_val, ax_time):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(args.out_png, dpi=110)

    title, together = COMPARISONS[args.comparison]
    lines = [
        f'Each run trained for {args.budget / 60:.0f} minutes of training time (validation '
        f'excluded), {together} on this 2-core machine with one thread each, then tested on '
        'the 200 SynthHand test images with 10 DDIM steps (PA-* are Procrustes-aligned, mm).',
        '', 'Reproduce:', '', '```bash',
        f'bash tools/analysis/run_learning_curves.sh {args.out_dir} {args.budget:.0f} '
        f'{args.comparison}', '```', '',
        '| run | iterations | train s | PA-MPJPE | PA-MPVPE | F@15 | PA-F@15 |',
        '|---|---|---|---|---|---|---|']
    for label, iters, seconds, pa_j, pa_v, f15, pa_f15 in rows:
        lines.append(f'| {label} | {iters} | {seconds} | {pa_j:.2f} | {pa_v:.2f} | {f15:.3f} | '
                     f'{pa_f15:.3f} |')
    lines += ['', f'![learning curves](images/{osp.basename(args.out_png)})', '',
              'The training losses are not comparable across runs: with diffusion they are '
              'averaged over random noise levels (low noise is easy), without diffusion every '
              'step is the full single-pass problem. Compare the validation curves and the '
              'table. Validation points during training use 64 images; the table uses all '
              '200.']
    replace_markdown_section(args.out_md, title, '\n'.join(lines), BEGIN_MARK, END_MARK)


if __name__ == '__main__':
    run_tool(main)

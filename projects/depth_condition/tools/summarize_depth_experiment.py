"""Tabulate the depth experiment: final validation PA-MPJPE / PA-MPVPE per arm and seed.

    python projects/depth_condition/tools/summarize_depth_experiment.py OUT [--baseline none]

Reads ``OUT/<arm>/seed<N>/*/vis_data/scalars.json`` (MMEngine's local visualiser backend, the
last line with ``mesh/PA-MPJPE``) and prints a markdown table: per arm the mean and sample
standard deviation over seeds, and the mean and spread of the paired difference to the
baseline arm (same seed: same data order and random numbers).
"""
import argparse
import glob
import json
import os.path as osp
import statistics
from collections import defaultdict

from diffhand_mm.utils.cli import add_debug_argument, run_tool

METRICS = ('mesh/PA-MPJPE', 'mesh/PA-MPVPE')


def final_metrics(run_dir: str) -> dict:
    """The last validation metrics of one run, or {} when it has none yet."""
    found = {}
    for path in sorted(glob.glob(osp.join(run_dir, '*', 'vis_data', 'scalars.json'))):
        with open(path) as f:
            for line in f:
                entry = json.loads(line)
                if METRICS[0] in entry:
                    found = {key: entry[key] for key in METRICS}
    return found


def mean_sd(values) -> str:
    if len(values) < 2:
        return f'{values[0]:.2f}' if values else '-'
    return f'{statistics.mean(values):.2f} ± {statistics.stdev(values):.2f}'


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('out', help='the experiment folder')
    parser.add_argument('--baseline', default='none', help='arm the differences refer to')
    add_debug_argument(parser)
    args = parser.parse_args()
    results = defaultdict(dict)  # arm -> seed -> metrics
    for run_dir in sorted(glob.glob(osp.join(args.out, '*', 'seed*'))):
        metrics = final_metrics(run_dir)
        if metrics:
            arm, seed = run_dir.split(osp.sep)[-2:]
            results[arm][seed] = metrics
    base = results.get(args.baseline, {})
    print('| arm | seeds | ' + ' | '.join(f'{m[5:]} mm (per seed)' for m in METRICS) + ' | ' +
          ' | '.join(f'{m[5:]} mm, mean ± sd' for m in METRICS) + ' | ' +
          ' | '.join(f'Δ{m[5:]} vs {args.baseline}, mean ± sd' for m in METRICS) + ' |')
    print('|' + '---|' * (2 + 3 * len(METRICS)))
    for arm, by_seed in sorted(results.items()):
        seeds = sorted(by_seed)
        cells = [', '.join(f'{by_seed[s][m]:.2f}' for s in seeds) for m in METRICS]
        cells += [mean_sd([by_seed[s][m] for s in seeds]) for m in METRICS]
        paired = [s for s in seeds if s in base]
        cells += [mean_sd([by_seed[s][m] - base[s][m] for s in paired]) if arm != args.baseline
                  else '-' for m in METRICS]
        print(f'| {arm} | {len(seeds)} ({", ".join(s[4:] for s in seeds)}) | ' +
              ' | '.join(cells) + ' |')


if __name__ == '__main__':
    run_tool(main)

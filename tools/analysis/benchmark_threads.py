"""Wall-clock and CPU time of inference and training against torch's thread count.

For each model config, random weights: one ``predict`` (batch 1, ``--steps`` DDIM steps, one
hypothesis) and one training step (``--train-batch`` random images with labels of the open
hand: losses, backward, AdamW) are timed with every thread count in ``--threads``, in
interleaved rounds (round r runs every (config, threads) pair once before round r + 1), so
load from other jobs falls on all of them alike. Reported: the median and the fastest round,
wall-clock and process CPU time, and the machine's load average during the run.

Example:
    python tools/analysis/benchmark_threads.py --threads 1 2 --rounds 5 --out docs/benchmarks.md
"""
import argparse
import os
import statistics
import time
from typing import Dict, List, Optional, Sequence

import torch

from diffhand_mm.utils.cli import rerun_command
from diffhand_mm.utils.markdown import replace_markdown_section

SECTION_TITLE = '## Threads'
BEGIN_MARK = '<!-- benchmark_threads.py output: begin -->'
END_MARK = '<!-- benchmark_threads.py output: end -->'


def timed(fn) -> Dict[str, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return dict(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu)


def jobs_for(config: str, steps: int, train_batch: int) -> Dict[str, callable]:
    """'predict' and 'train step' closures of the config's model, random weights."""
    from tools.analysis.benchmark_inference import _predict, build_model, input_size_of, make_batch
    from tools.analysis.compare_decoder_variants import training_step
    from mmengine.config import Config
    torch.manual_seed(0)
    model = build_model(config, 'cpu')
    model.test_cfg.update(sampling_steps=steps, num_hypotheses=1)
    size = input_size_of(model)
    data = make_batch(model, 1, size, 'cpu')
    cfg = Config.fromfile(config)
    jobs = {'predict': lambda: _predict(model, data)}
    if train_batch:
        jobs['train step'] = training_step(cfg.model, cfg.model.head.decoder, train_batch, size)
    return jobs


def run(configs: Sequence[str], threads: Sequence[int], rounds: int, steps: int,
        train_batch: int) -> List[dict]:
    import diffhand_mm.models  # noqa: F401
    cases = []
    for config in configs:
        for job, fn in jobs_for(config, steps, train_batch).items():
            for n in threads:
                cases.append(dict(config=config, job=job, threads=n, fn=fn, times=[]))
    for case in cases:  # first calls (allocations, thread pools) untimed
        torch.set_num_threads(case['threads'])
        case['fn']()
    loads = []
    for _ in range(rounds):
        loads.append(os.getloadavg()[0])
        for case in cases:
            torch.set_num_threads(case['threads'])
            case['times'].append(timed(case['fn']))
    for case in cases:
        for key in ('wall', 'cpu'):
            values = [t[key] for t in case['times']]
            case[key] = (statistics.median(values), min(values))
    return cases, loads


def format_table(cases: Sequence[dict]) -> str:
    lines = ['| config | job | threads | wall s median (min) | CPU s median (min) | '
             'wall / wall at 1 thread |', '|---|---|---:|---:|---:|---:|']
    reference = {(c['config'], c['job']): c['wall'][0] for c in cases if c['threads'] == 1}
    for c in cases:
        ref = reference.get((c['config'], c['job']))
        ratio = f"{c['wall'][0] / ref:.2f}" if ref else '-'
        lines.append(f"| `{c['config']}` | {c['job']} | {c['threads']} | "
                     f"{c['wall'][0]:.3f} ({c['wall'][1]:.3f}) | "
                     f"{c['cpu'][0]:.3f} ({c['cpu'][1]:.3f}) | {ratio} |")
    return '\n'.join(lines)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--configs', nargs='+',
                        default=['configs/_base_/models/diffhand_tiny.py'])
    parser.add_argument('--threads', type=int, nargs='+', default=[1, 2])
    parser.add_argument('--rounds', type=int, default=5)
    parser.add_argument('--steps', type=int, default=10)
    parser.add_argument('--train-batch', type=int, default=16, help='0: no training step')
    parser.add_argument('--out', help='markdown file to write the section into')
    return parser.parse_args(argv)


def main(argv: Optional[Sequence[str]] = None):
    args = parse_args(argv)
    cases, loads = run(args.configs, args.threads, args.rounds, args.steps, args.train_batch)
    command = rerun_command('tools/analysis/benchmark_threads.py', argv)
    body = (f'{os.cpu_count()} CPUs, {len(os.sched_getaffinity(0))} usable; 1-minute load '
            f'average at the start of each round: {", ".join(f"{x:.1f}" for x in loads)}. '
            f'Random weights; predict: batch 1, {args.steps} DDIM steps, 1 hypothesis; train '
            f'step: batch {args.train_batch}. {args.rounds} interleaved rounds.\n\n'
            f'```\n{command}\n```\n\n{format_table(cases)}')
    print(body)
    if args.out:
        replace_markdown_section(args.out, SECTION_TITLE, body, BEGIN_MARK, END_MARK)
    return cases


if __name__ == '__main__':
    main()

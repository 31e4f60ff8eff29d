"""Steps x accuracy x time table of tools/analysis/run_distillation.sh.

Reads the test logs (``OUT/tests/<model>_<steps>/test.log``), the training time of every run
(TrainTimeBudgetHook's log line; the teacher's from its own run), measures the CPU time of
``predict`` per image at 1, 2 and 10 DDIM steps (tiny fast model, random weights: the time
does not depend on the weights; interleaved rounds, one thread), and writes the section
"Few-step distillation" of a markdown file.
"""
import argparse
import os.path as osp
import sys

from diffhand_mm.utils.markdown import replace_markdown_section

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from plot_learning_curves import read_budget_log, read_test_metrics  # noqa: E402

SECTION_TITLE = '## Few-step distillation (fast tiny DiffHand)'
BEGIN_MARK = '<!-- report_distillation.py output: begin -->'
END_MARK = '<!-- report_distillation.py output: end -->'
#: (test name prefix, label, run folder under OUT or None for the teacher, steps tested)
MODELS = (
    ('teacher', 'teacher (fast tiny, learning-curve run)', None, (10, 2, 1)),
    ('continued', 'teacher trained on for the distillation time', 'continued', (10, 2, 1)),
    ('distill_2', 'distilled into 2 steps', 'distill_2', (2,)),
    ('distill_1', 'distilled into 1 step', 'distill_1', (1,)),
)


def inference_ms(config: str, steps, rounds: int = 5) -> dict:
    """CPU ms per image of ``predict`` (batch 1, 1 hypothesis) at each number of steps."""
    import torch

    from benchmark_inference import build_model, input_size_of, make_batch, run_benchmark
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = build_model(config, 'cpu')
    data = make_batch(model, 1, input_size_of(model), 'cpu')
    rows = run_benchmark(model, data, list(steps), [1], repeats=rounds, warmup=1)
    return {row.steps: row.time_ms for row in rows}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('out_dir', help='OUT of run_distillation.sh')
    parser.add_argument('--teacher-run', required=True, help='the teacher run folder')
    parser.add_argument('--config', default='configs/_base_/models/diffhand_fast_tiny.py',
                        help='model config timed for the CPU column')
    parser.add_argument('--budget', default='BUDGET', help='the runs\' budget, for the command')
    parser.add_argument('--out', required=True, help='markdown file')
    args = parser.parse_args(argv)

    _, teacher_seconds = read_budget_log(args.teacher_run)
    timing = inference_ms(args.config, (1, 2, 10))
    reference = read_test_metrics(osp.join(args.out_dir, 'tests', 'teacher_10'))['PA-MPJPE']
    lines = ['| model | training s (teacher + more) | DDIM steps | PA-MPJPE mm | PA-MPVPE mm | '
             'PA-MPJPE / teacher at 10 steps | CPU ms / image |',
             '|---|---:|---:|---:|---:|---:|---:|']
    for prefix, label, run, steps_list in MODELS:
        extra = 0 if run is None else read_budget_log(osp.join(args.out_dir, run))[1]
        for steps in steps_list:
            metrics = read_test_metrics(osp.join(args.out_dir, 'tests', f'{prefix}_{steps}'))
            lines.append(f"| {label} | {teacher_seconds} + {extra} | {steps} | "
                         f"{metrics['PA-MPJPE']:.2f} | {metrics['PA-MPVPE']:.2f} | "
                         f"{metrics['PA-MPJPE'] / reference:.3f} | {timing[steps]:.1f} |")
    command = ('bash tools/analysis/run_distillation.sh ' + args.teacher_run + ' ' +
               args.out_dir + ' ' + str(args.budget))
    body = '\n'.join([
        'Every model tested on the 200 SynthHand test images (seed 0 of '
        '`tools/analysis/run_learning_curves.sh`), one hypothesis, eta = 0. Training time: '
        "the teacher's, plus the time of the run that followed it (distillation, or the "
        "teacher's own training resumed), all on this shared 2-core CPU, one thread per run, "
        'the three follow-up runs side by side. CPU ms / image: `predict` of the fast tiny '
        'model at that many steps (process CPU time, one thread, median of 5 interleaved '
        'rounds).', '', '```bash', command, '```', '', *lines])
    print(body)
    replace_markdown_section(args.out, SECTION_TITLE, body, BEGIN_MARK, END_MARK)


if __name__ == '__main__':
    main()

"""Inference cost of DiffHand models versus DDIM steps and hypotheses.

For every model config given (random weights, nothing downloaded) and every (steps,
hypotheses) pair, the model runs ``predict`` on random images at the config's input size and
the script reports, per image: the time of a ``predict`` and the encoder's share of it
(forward hooks on the backbone), FLOPs of the encoder, of one decoder step and of the
decoder's image part, computed once per image (``torch.utils.flop_counter.FlopCounterMode``,
with formulas for the CPU attention kernels it does not count on its own), and how often the
encoder ran per image (1 whatever the steps and hypotheses: the hypotheses share one encoder
pass). Ratios to the 1 step x 1 hypothesis row are given for time and FLOPs.

Time is the process's CPU time on the CPU (``time.process_time``: on a shared machine other
jobs slow the wall clock, much less the CPU time a process needs) and the wall-clock time on
CUDA (synchronised). All configurations of all configs are timed in interleaved rounds (round
r runs each of them once before round r + 1 starts), so a change of load falls on all alike;
the table gives the median and the fastest round. The time ratios to 1 step x 1 hypothesis are
paired: in every round a configuration's time is divided by the same model's 1 x 1 time of
that round (a few seconds apart), and the table gives the median and the range of these
per-round ratios. CPU time is not immune to load (another job on the other core, or on a
sibling hardware thread, slows memory and caches: the same encoder pass varies by ~10 % here),
and pairing keeps such slow drifts out of the ratio.

Example:
    python tools/analysis/benchmark_inference.py \\
        --config configs/_base_/models/diffhand_deit_large.py \\
            configs/_base_/models/diffhand_fast_deit_large.py \\
        --steps 1 10 --hypotheses 1 8 --repeats 5 --threads 1 --out docs/benchmarks.md
"""
import argparse
import datetime
import os.path as osp
import platform
import statistics
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.config import Config
from mmengine.structures import InstanceData
from torch import nn
from torch.utils.flop_counter import FlopCounterMode, sdpa_flop_count

from diffhand_mm.utils.cli import add_debug_argument, rerun_command, run_tool
from diffhand_mm.utils.markdown import replace_markdown_section

SECTION_TITLE = '## Model inference: steps x hypotheses'
BEGIN_MARK = '<!-- benchmark_inference.py output: begin -->'
END_MARK = '<!-- benchmark_inference.py output: end -->'
TABLE_COLUMNS = ('steps', 'hypotheses', 'time ms/img', 'min time ms/img',
                 'encoder ms/img', 'head ms/img',
                 'encoder share %', 'encoder GFLOPs/img', 'decoder GFLOPs/step/img',
                 'decoder image-part GFLOPs/img', 'total GFLOPs/img', 'encoder passes/img',
                 'time / 1x1', 'time / 1x1 range', 'FLOPs / 1x1')

aten = torch.ops.aten


def _sdpa_cpu_flops(query_shape, key_shape, value_shape, *args, out_shape=None,
                    **kwargs) -> int:
    """FLOPs of the CPU flash-attention kernel: QK^T and PV, 2 FLOPs per multiply-add."""
    return sdpa_flop_count(query_shape, key_shape, value_shape)


def _native_mha_flops(query_shape, key_shape, value_shape, embed_dim, num_heads, *args,
                      out_shape=None, **kwargs) -> int:
    """FLOPs of ``aten._native_multi_head_attention`` (nn.MultiheadAttention's fast path).

    Query (B, L, E), key/value (B, S, E): Q, K, V and output projections plus attention.
    """
    batch, length, dim = query_shape
    source = key_shape[1]
    projections = 2 * batch * dim * dim * (length + 2 * source + length)
    head_dim = dim // num_heads
    attention = sdpa_flop_count((batch, num_heads, length, head_dim),
                                (batch, num_heads, source, head_dim),
                                (batch, num_heads, source, head_dim))
    return projections + attention


#: Kernels torch's FlopCounterMode (as of 2.14) counts as 0 FLOPs on the CPU.
EXTRA_FLOP_FORMULAS = {
    aten._scaled_dot_product_flash_attention_for_cpu: _sdpa_cpu_flops,
    aten._native_multi_head_attention: _native_mha_flops,
}


def count_flops() -> FlopCounterMode:
    """A FlopCounterMode that also counts the CPU attention kernels (2 FLOPs per MAC)."""
    return FlopCounterMode(display=False, custom_mapping=EXTRA_FLOP_FORMULAS)


@dataclass
class BenchmarkRow:
    """Measurements of one (steps, hypotheses) configuration; times in ms per image.

    ``time_ms`` and ``encoder_ms`` are medians over the timed rounds, ``head_ms`` their
    difference; ``min_time_ms`` is the fastest round (the steadier number on a shared machine,
    where other jobs only ever add time). Times are CPU times on the CPU, wall-clock on CUDA.
    ``time_ratios`` are the paired per-round ratios to the same model's reference
    configuration (1 step x 1 hypothesis, see :func:`paired_time_ratios`).
    """
    steps: int
    hypotheses: int
    time_ms: float
    min_time_ms: float
    encoder_ms: float
    head_ms: float
    encoder_gflops: float
    decoder_step_gflops: float
    context_gflops: float
    total_gflops: float
    encoder_passes_per_image: float
    time_ratios: List[float]

    def cells(self, reference: 'BenchmarkRow') -> List[str]:
        share = 100.0 * self.encoder_ms / self.time_ms
        return [str(self.steps), str(self.hypotheses), f'{self.time_ms:.1f}',
                f'{self.min_time_ms:.1f}',
                f'{self.encoder_ms:.1f}', f'{self.head_ms:.1f}', f'{share:.0f}',
                f'{self.encoder_gflops:.2f}', f'{self.decoder_step_gflops:.3f}',
                f'{self.context_gflops:.3f}', f'{self.total_gflops:.2f}',
                f'{self.encoder_passes_per_image:g}',
                f'{statistics.median(self.time_ratios):.2f}',
                f'{min(self.time_ratios):.2f}-{max(self.time_ratios):.2f}',
                f'{self.total_gflops / reference.total_gflops:.2f}']


def build_model(config_path: str, device: str) -> nn.Module:
    """Build ``cfg.model`` with random weights (no pretrained weights, no init checkpoint)."""
    import diffhand_mm  # noqa: F401  (registries)
    from diffhand_mm.registry import MODELS
    from diffhand_mm.utils.setup_env import register_all_modules
    if not osp.isfile(config_path):
        raise FileNotFoundError(f'benchmark_inference: config {config_path!r} does not exist.')
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(config_path)
    if 'model' not in cfg:
        raise KeyError(f'benchmark_inference: {config_path} has no `model`.')
    model_cfg = cfg.model
    model_cfg.pop('init_cfg', None)
    backbone = model_cfg.get('backbone', {})
    backbone.update(pretrained=False, checkpoint=None, init_cfg=None)
    return MODELS.build(model_cfg).to(device).eval()


def input_size_of(model: nn.Module) -> int:
    """Square input side (pixels) the encoder was built for (``TimmEncoder.img_size``)."""
    size = getattr(model.backbone, 'img_size', None)
    if size is None:
        raise AttributeError(f'benchmark_inference: {type(model.backbone).__name__} has no '
                             '`img_size`; pass --input-size.')
    return int(size)


def make_batch(model: nn.Module, batch_size: int, size: int, device: str,
               seed: int = 0) -> dict:
    """Random uint8 images through the model's data preprocessor, with minimal metainfo."""
    from mmpose.structures import PoseDataSample
    gen = torch.Generator().manual_seed(seed)
    focal = 1.5 * size
    cam_K = np.array([[focal, 0, size / 2 - 0.5], [0, focal, size / 2 - 0.5], [0, 0, 1]],
                     dtype=np.float32)
    images, samples = [], []
    for i in range(batch_size):
        images.append(torch.randint(0, 256, (3, size, size), dtype=torch.uint8, generator=gen))
        sample = PoseDataSample(metainfo=dict(img_path=f'random_{i}.png', input_size=(size, size),
                                              cam_K=cam_K, ori_K=cam_K))
        sample.gt_instances = InstanceData()
        samples.append(sample)
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), training=False)
    data['inputs'] = data['inputs'].to(device)
    return data


def clock(device: str):
    """The timer of a run: process CPU time on the CPU, synchronised wall-clock on CUDA."""
    if device.startswith('cuda'):
        def wall() -> float:
            torch.cuda.synchronize()
            return time.perf_counter()
        return wall
    return time.process_time


class EncoderProbe:
    """Forward hooks on the encoder: times each call and counts the images it encodes."""

    def __init__(self, encoder: nn.Module, device: str) -> None:
        self.clock = clock(device)
        self.seconds = 0.0
        self.calls = 0
        self.images = 0
        self._start = 0.0
        self._handles = [encoder.register_forward_pre_hook(self._before),
                         encoder.register_forward_hook(self._after)]

    def _before(self, module, args) -> None:
        self._start = self.clock()

    def _after(self, module, args, output) -> None:
        self.seconds += self.clock() - self._start
        self.calls += 1
        self.images += args[0].shape[0]

    def reset(self) -> None:
        self.seconds, self.calls, self.images = 0.0, 0, 0

    def remove(self) -> None:
        for handle in self._handles:
            handle.remove()


def _predict(model: nn.Module, data: dict) -> None:
    with torch.no_grad():
        model(data['inputs'], data['data_samples'], mode='predict')


def measure_flops(model: nn.Module, data: dict) -> Dict[str, float]:
    """FLOPs of one ``predict`` on ``data`` and of its parts.

    Returns:
        dict: ``total``; ``encoder`` (the backbone module); ``decoder`` (the head's decoder
        module: its forward calls, one per DDIM step); ``context``, the decoder's image part
        (``decoder.encode_image`` on the encoder output), which the head computes once per
        image and reuses in every step and hypothesis; ``decoder_calls``, how often the
        decoder ran.
    """
    decoder = model.head.decoder
    calls, encoder_outputs = [], []
    handles = [decoder.register_forward_hook(lambda *args: calls.append(1)),
               model.backbone.register_forward_hook(
                   lambda module, args, output: encoder_outputs.append(output))]
    try:
        with count_flops() as counter:
            _predict(model, data)
    finally:
        for handle in handles:
            handle.remove()
    per_module = counter.get_flop_counts()
    root = type(model).__name__

    def module_flops(name: str) -> float:
        key = f'{root}.{name}'
        if key not in per_module:
            raise KeyError(f'benchmark_inference: FlopCounterMode saw no module {key!r}.')
        return float(sum(per_module[key].values()))

    with torch.no_grad(), count_flops() as context_counter:
        decoder.encode_image(*encoder_outputs[0])
    return dict(total=float(counter.get_total_flops()), encoder=module_flops('backbone'),
                decoder=module_flops('head.decoder'),
                context=float(context_counter.get_total_flops()), decoder_calls=len(calls))


@dataclass
class _Case:
    """One (model, steps, hypotheses) configuration and its timed rounds (seconds)."""
    model: nn.Module
    data: dict
    steps: int
    hypotheses: int
    times: List[float]
    encoder_times: List[float]
    encoder_images: int = 0


def _configure(model: nn.Module, steps: int, hypotheses: int) -> None:
    model.test_cfg.update(sampling_steps=steps, num_hypotheses=hypotheses)


def _time_case(case: _Case, device: str) -> None:
    """One timed ``predict`` of ``case``, recorded in it."""
    _configure(case.model, case.steps, case.hypotheses)
    probe = EncoderProbe(case.model.backbone, device)
    timer = clock(device)
    try:
        start = timer()
        _predict(case.model, case.data)
        case.times.append(timer() - start)
    finally:
        probe.remove()
    case.encoder_times.append(probe.seconds)
    case.encoder_images += probe.images


def paired_time_ratios(times: Sequence[float], reference_times: Sequence[float]) -> List[float]:
    """Per-round ratios ``times[r] / reference_times[r]`` of two interleaved configurations.

    Raises:
        ValueError: if the two were not timed in the same number of rounds.
    """
    if len(times) != len(reference_times) or not times:
        raise ValueError(f'benchmark_inference: cannot pair {len(times)} timed rounds with '
                         f'{len(reference_times)} of the reference configuration.')
    return [t / r for t, r in zip(times, reference_times)]


def reference_case(cases: Sequence[_Case]) -> _Case:
    """The case ratios are relative to: 1 step x 1 hypothesis, or the first when not run."""
    return next((c for c in cases if c.steps == 1 and c.hypotheses == 1), cases[0])


def _finish(case: _Case, reference: _Case) -> BenchmarkRow:
    """FLOPs of ``case`` and the row of its timings (ratios paired with ``reference``)."""
    _configure(case.model, case.steps, case.hypotheses)
    # Counted on the eager loop: a replayed CUDA graph runs no operator the counter sees.
    accelerate = case.model.test_cfg.pop('accelerate', None)
    try:
        flops = measure_flops(case.model, case.data)
    finally:
        if accelerate is not None:
            case.model.test_cfg['accelerate'] = accelerate
    if flops['decoder_calls'] != case.steps:
        raise RuntimeError(f'benchmark_inference: expected {case.steps} decoder calls per '
                           f"predict, saw {flops['decoder_calls']}.")
    batch = case.data['inputs'].shape[0]
    time_ms = statistics.median(case.times) / batch * 1e3
    encoder = statistics.median(case.encoder_times) / batch * 1e3
    return BenchmarkRow(steps=case.steps, hypotheses=case.hypotheses, time_ms=time_ms,
                        min_time_ms=min(case.times) / batch * 1e3,
                        encoder_ms=encoder, head_ms=time_ms - encoder,
                        encoder_gflops=flops['encoder'] / batch / 1e9,
                        decoder_step_gflops=flops['decoder'] / case.steps / batch / 1e9,
                        context_gflops=flops['context'] / batch / 1e9,
                        total_gflops=flops['total'] / batch / 1e9,
                        encoder_passes_per_image=case.encoder_images / (len(case.times) * batch),
                        time_ratios=paired_time_ratios(case.times, reference.times))


def run_benchmarks(models: Sequence[Tuple[nn.Module, dict]], steps: Sequence[int],
                   hypotheses: Sequence[int], repeats: int = 3, warmup: int = 1,
                   device: str = 'cpu') -> List[List[BenchmarkRow]]:
    """All (steps, hypotheses) pairs of all models, timed in interleaved rounds.

    ``warmup`` untimed ``predict`` per configuration come first (first-call costs:
    allocations, thread pools, CUDA graph capture), then ``repeats`` rounds, each running
    every configuration of every model once (hypotheses varying fastest, then steps, then
    models). FLOPs are counted after the timing; time ratios are paired per round with the
    model's 1 step x 1 hypothesis case (:func:`paired_time_ratios`).

    Returns:
        list: per model, its rows.
    """
    cases = [[_Case(model, data, s, k, [], []) for s in steps for k in hypotheses]
             for model, data in models]
    flat = [case for model_cases in cases for case in model_cases]
    for case in flat:
        _configure(case.model, case.steps, case.hypotheses)
        for _ in range(warmup):
            _predict(case.model, case.data)
    for _ in range(repeats):
        for case in flat:
            _time_case(case, device)
    return [[_finish(case, reference_case(model_cases)) for case in model_cases]
            for model_cases in cases]


def run_benchmark(model: nn.Module, data: dict, steps: Sequence[int],
                  hypotheses: Sequence[int], repeats: int = 3, warmup: int = 1,
                  device: str = 'cpu') -> List[BenchmarkRow]:
    """:func:`run_benchmarks` for one model."""
    return run_benchmarks([(model, data)], steps, hypotheses, repeats, warmup, device)[0]


def format_table(rows: Sequence[BenchmarkRow]) -> str:
    """Markdown table; the ratio columns are relative to the 1 step x 1 hypothesis row
    (or the first row when that pair was not run): FLOPs directly, time as the median and
    range of the rows' paired per-round ratios."""
    reference = next((r for r in rows if r.steps == 1 and r.hypotheses == 1), rows[0])
    lines = ['| ' + ' | '.join(TABLE_COLUMNS) + ' |',
             '|' + '|'.join('---:' for _ in TABLE_COLUMNS) + '|']
    lines += ['| ' + ' | '.join(row.cells(reference)) + ' |' for row in rows]
    return '\n'.join(lines)


def describe_run(configs: Sequence[str], device: str, batch_size: int, size: int,
                 repeats: int, warmup: int, command: str, accelerate: Optional[str]) -> str:
    """Markdown lines naming the command, the machine and the settings of a run."""
    if device.startswith('cuda'):
        hardware = torch.cuda.get_device_name(torch.device(device))
        timer = 'synchronised wall-clock time'
    else:
        hardware = f'{platform.processor() or platform.machine()}, ' \
                   f'{torch.get_num_threads()} torch threads'
        timer = 'process CPU time'
    names = ', '.join(f'`{c}`' for c in configs)
    return '\n'.join([
        f'Run {datetime.date.today().isoformat()}: {names}, random weights, batch '
        f'{batch_size} of {size}x{size} random images, device {device} ({hardware}), '
        f'torch {torch.__version__}, sampling loop {accelerate or "eager"}; {timer}, median '
        f'(and fastest) of {repeats} interleaved rounds after {warmup} warm-up run(s); '
        f'"time / 1x1": median (and range) over the rounds of the ratio to the same '
        f"round's 1 x 1.",
        '', '```', command, '```'])


def write_section(path: str, body: str, title: str = SECTION_TITLE) -> None:
    """Put ``body`` under ``title`` in the markdown file ``path``, other sections untouched;
    see :func:`~diffhand_mm.utils.markdown.replace_markdown_section`."""
    replace_markdown_section(path, title, body, BEGIN_MARK, END_MARK)


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config', required=True, nargs='+',
                        help='configs with a DiffHand `model` (timed interleaved)')
    parser.add_argument('--steps', type=int, nargs='+', default=[1, 10],
                        help='DDIM sampling steps to try')
    parser.add_argument('--hypotheses', type=int, nargs='+', default=[1, 8],
                        help='hypotheses per image to try')
    parser.add_argument('--batch-size', type=int, default=1)
    parser.add_argument('--repeats', type=int, default=3, help='timed rounds')
    parser.add_argument('--warmup', type=int, default=1, help='untimed runs per configuration')
    parser.add_argument('--device', default='cpu', help="'cpu' or 'cuda[:i]'")
    parser.add_argument('--threads', type=int, help='torch.set_num_threads (CPU)')
    parser.add_argument('--accelerate', choices=['cuda_graph', 'compile'],
                        help='test_cfg.accelerate of the sampling loop (default: eager)')
    parser.add_argument('--input-size', type=int,
                        help='image side in pixels (default: the encoder img_size)')
    parser.add_argument('--seed', type=int, default=0, help='seed of weights and images')
    parser.add_argument('--title', default=SECTION_TITLE, help='markdown section to write')
    parser.add_argument('--out', help='markdown file to write the section into')
    add_debug_argument(parser)
    args = parser.parse_args(argv)
    if min(args.steps) < 1 or min(args.hypotheses) < 1 or args.batch_size < 1 \
            or args.repeats < 1 or args.warmup < 0:
        parser.error('steps, hypotheses, batch size and repeats must be >= 1, warmup >= 0')
    return args


def main(argv: Optional[Sequence[str]] = None) -> List[List[BenchmarkRow]]:
    args = parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    models, sizes = [], set()
    for config in args.config:
        torch.manual_seed(args.seed)
        model = build_model(config, args.device)
        if args.accelerate:
            model.test_cfg['accelerate'] = args.accelerate
        size = args.input_size or input_size_of(model)
        sizes.add(size)
        models.append((model, make_batch(model, args.batch_size, size, args.device,
                                         args.seed)))
    results = run_benchmarks(models, args.steps, args.hypotheses, args.repeats, args.warmup,
                             args.device)
    tables = [f'`{config}`:\n\n{format_table(rows)}'
              for config, rows in zip(args.config, results)]
    print('\n\n'.join(tables))
    if args.out:
        command = rerun_command('tools/analysis/benchmark_inference.py', argv)
        size_text = '/'.join(str(s) for s in sorted(sizes))
        write_section(args.out, describe_run(args.config, args.device, args.batch_size,
                                             size_text, args.repeats, args.warmup, command,
                                             args.accelerate) + '\n\n' + '\n\n'.join(tables),
                      args.title)
    return results


if __name__ == '__main__':
    run_tool(main)

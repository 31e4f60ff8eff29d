import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from tools.analysis.benchmark_inference import (BEGIN_MARK, END_MARK, SECTION_TITLE,
                                                TABLE_COLUMNS, build_model, count_flops,
                                                format_table, main, make_batch,
                                                paired_time_ratios, run_benchmark,
                                                run_benchmarks, write_section)

TINY = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'models',
                'diffhand_tiny.py')


@pytest.fixture(scope='module')
def tiny_model():
    torch.set_num_threads(1)
    torch.manual_seed(0)
    return build_model(TINY, 'cpu')


def test_attention_flops_closed_form():
    """The CPU attention kernels, which FlopCounterMode alone leaves out, are counted."""
    batch, length, dim, heads = 2, 10, 8, 2
    mha = torch.nn.MultiheadAttention(dim, heads, batch_first=True).eval()
    x = torch.randn(batch, length, dim)
    with torch.no_grad(), count_flops() as counter:
        mha(x, x, x, need_weights=False)  # nn.MultiheadAttention's fused fast path
    # Q, K, V and output projections (4 * L * E * E MACs) + QK^T and PV (2 * L * L * E MACs)
    assert counter.get_total_flops() == 2 * batch * (4 * length * dim * dim +
                                                      2 * length * length * dim)
    q, k = torch.randn(batch, heads, length, 4), torch.randn(batch, heads, 3, 4)
    with count_flops() as counter:
        F.scaled_dot_product_attention(q, k, k)
    assert counter.get_total_flops() == 2 * batch * heads * 2 * length * 3 * 4


def test_tiny_config_encodes_once_and_flops_add_up(tiny_model):
    data = make_batch(tiny_model, batch_size=2, size=tiny_model.backbone.img_size, device='cpu')
    encoder_rows = []
    handle = tiny_model.backbone.register_forward_hook(
        lambda module, args, output: encoder_rows.append(args[0].shape[0]))
    try:
        rows = run_benchmark(tiny_model, data, steps=[1, 3], hypotheses=[1, 2], repeats=1,
                             warmup=0)
    finally:
        handle.remove()
    # per configuration 1 timed run + 1 FLOP-counting run, each one encoder call over the
    # batch of 2 whatever the steps and hypotheses
    assert encoder_rows == [2] * (4 * 2)
    assert [(r.steps, r.hypotheses) for r in rows] == [(1, 1), (1, 2), (3, 1), (3, 2)]
    assert all(r.encoder_passes_per_image == 1 for r in rows)
    by_key = {(r.steps, r.hypotheses): r for r in rows}
    # one decoder step costs the same whatever the number of steps, and K hypotheses cost K x
    assert by_key[3, 1].decoder_step_gflops == pytest.approx(by_key[1, 1].decoder_step_gflops)
    assert by_key[1, 2].decoder_step_gflops == pytest.approx(2 * by_key[1, 1].decoder_step_gflops)
    assert all(r.encoder_gflops == pytest.approx(rows[0].encoder_gflops) for r in rows)
    # two more steps add exactly two decoder steps to the total (the image part is computed once)
    for k in (1, 2):
        assert by_key[3, k].total_gflops - by_key[1, k].total_gflops == pytest.approx(
            2 * by_key[1, k].decoder_step_gflops, rel=1e-6)
        assert by_key[3, k].context_gflops == pytest.approx(by_key[1, k].context_gflops)
    assert all(0 < r.encoder_ms < r.time_ms and r.min_time_ms <= r.time_ms for r in rows)
    assert all(r.head_ms == pytest.approx(r.time_ms - r.encoder_ms) for r in rows)
    lines = format_table(rows).splitlines()
    assert [c.strip() for c in lines[0].strip('|').split('|')] == list(TABLE_COLUMNS)
    assert len(lines) == 2 + len(rows)
    first = [c.strip() for c in lines[2].strip('|').split('|')]
    assert first[:2] == ['1', '1'] and first[-3:] == ['1.00', '1.00-1.00', '1.00']
    assert first[-4] == '1'


def test_several_models_are_timed_in_interleaved_rounds(tiny_model):
    torch.manual_seed(1)
    other = build_model(TINY, 'cpu')
    data = make_batch(tiny_model, batch_size=1, size=64, device='cpu')
    order = []
    handles = [m.backbone.register_forward_hook(lambda *args, name=name: order.append(name))
               for name, m in (('a', tiny_model), ('b', other))]
    try:
        results = run_benchmarks([(tiny_model, data), (other, data)], steps=[1],
                                 hypotheses=[1, 2], repeats=2, warmup=0)
    finally:
        for handle in handles:
            handle.remove()
    # two rounds, each running every configuration of both models, then the FLOP counts
    assert order[:8] == ['a', 'a', 'b', 'b'] * 2
    assert [[(r.steps, r.hypotheses) for r in rows] for rows in results] == [[(1, 1), (1, 2)]] * 2


def test_time_ratios_are_paired_per_round(tiny_model):
    """A round slowed by load for both configurations does not move the time ratio."""
    # round 2 ran under load: both configurations took twice as long
    ratios = paired_time_ratios([2.0, 4.0, 2.2], [1.0, 2.0, 1.0])
    assert ratios == pytest.approx([2.0, 2.0, 2.2])
    with pytest.raises(ValueError, match='cannot pair 2 timed rounds with 3'):
        paired_time_ratios([1.0, 2.0], [1.0, 1.0, 1.0])
    # the table's ratio column is the median of the rows' own per-round ratios
    data = make_batch(tiny_model, batch_size=1, size=64, device='cpu')
    rows = run_benchmark(tiny_model, data, steps=[1, 4], hypotheses=[1], repeats=3, warmup=0)
    reference, slow = rows
    assert reference.time_ratios == [1.0, 1.0, 1.0]
    assert len(slow.time_ratios) == 3 and all(r > 1 for r in slow.time_ratios)
    cells = [c.strip() for c in format_table(rows).splitlines()[3].strip('|').split('|')]
    low, high = sorted(slow.time_ratios)[0], sorted(slow.time_ratios)[-1]
    assert cells[-3:-1] == [f'{sorted(slow.time_ratios)[1]:.2f}', f'{low:.2f}-{high:.2f}']


def test_cli_writes_only_its_section(tmp_path):
    out = tmp_path / 'benchmarks.md'
    out.write_text('# Benchmarks\n\n## Data loading\n\nkeep me\n\n' + SECTION_TITLE +
                   '\n\nold numbers\n\n## Training\n\nkeep me too\n')
    argv = ['--config', TINY, '--steps', '1', '--hypotheses', '1', '2', '--repeats', '1',
            '--warmup', '0', '--threads', '1', '--out', str(out)]
    rows, = main(argv)
    text = out.read_text()
    assert text.count(SECTION_TITLE) == 1 and 'old numbers' not in text
    assert 'keep me\n' in text and text.endswith('## Training\n\nkeep me too\n')
    assert 'python tools/analysis/benchmark_inference.py --config' in text
    section = text[text.index(SECTION_TITLE):text.index('## Training')]
    assert sum(line.startswith('| 1 |') for line in section.splitlines()) == len(rows) == 2
    # notes around the generated part survive a rerun; other sections stay as they were
    out.write_text(text.replace(BEGIN_MARK, 'my notes\n' + BEGIN_MARK))
    write_section(str(out), 'new body')
    assert out.read_text() == ('# Benchmarks\n\n## Data loading\n\nkeep me\n\n' + SECTION_TITLE +
                               '\n\nmy notes\n' + BEGIN_MARK + '\nnew body\n' + END_MARK +
                               '\n\n## Training\n\nkeep me too\n')


def test_missing_config_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.py'):
        build_model(str(tmp_path / 'nope.py'), 'cpu')

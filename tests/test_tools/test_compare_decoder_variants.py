import os.path as osp

import pytest
import torch

from tools.analysis.compare_decoder_variants import SECTION_TITLE, main

TINY = osp.join(osp.dirname(__file__), '..', '..', 'configs', '_base_', 'models',
                'diffhand_tiny.py')


def test_variants_table_measures_what_it_says(tmp_path):
    out = tmp_path / 'bench.md'
    rows = main(['--config', TINY, '--rounds', '1', '--steps', '3', '--hypotheses', '2',
                 '--variants', 'paper tiny: 778 points, width 64, FFN x2',
                 '195 points, width 64, FFN x2', '--out', str(out)])
    torch.set_num_threads(1)
    paper, fast = rows
    assert (paper['points'], fast['points']) == (778, 195)
    assert paper['upsampling'] == '0 / 0'
    mean_mm = float(fast['upsampling'].split(' / ')[0])
    assert 0 < mean_mm < 1.0  # posed open hands rebuilt from 195 vertices (0.46 mm measured)
    for row in rows:  # K hypotheses in one call cost K times one hypothesis
        assert row['flops'][2] == pytest.approx(2 * row['flops'][1], rel=1e-6)
    assert fast['flops'][1] < paper['flops'][1] / 3
    text = out.read_text()
    assert SECTION_TITLE in text and '| 195 points, width 64, FFN x2 | 195 |' in text

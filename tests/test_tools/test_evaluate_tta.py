"""tools/analysis/evaluate_tta.py: settings, and one tiny end-to-end run."""
import os.path as osp

import pytest

from tools.analysis.evaluate_tta import main, tta_setting

REPO_ROOT = osp.join(osp.dirname(__file__), '..', '..')


def test_settings():
    assert tta_setting('none') is None
    assert tta_setting('graphormer')['align'] == 'procrustes'
    assert tta_setting('default-mean')['align'] == 'none'
    with pytest.raises(ValueError, match='unknown setting'):
        tta_setting('graphormer-median')


def test_runs_and_reports_each_setting(capsys):
    rows = main([osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py'),
                 osp.join(REPO_ROOT, 'checkpoints', 'diffhand_tiny_synthhand.pth'),
                 '--num-samples', '2', '--steps', '1', '--settings', 'none', 'default'])
    assert [(r['setting'], r['passes']) for r in rows] == [('none', 1), ('default', 9)]
    assert all(0 < r['pa_mpjpe'] < 100 and r['seconds_per_image'] > 0 for r in rows)
    assert '| default | 9 |' in capsys.readouterr().out

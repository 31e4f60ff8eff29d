"""tools/train.py options other than --resume."""
import argparse
import os.path as osp
import uuid

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

from tools.train import merge_args

CONFIG = osp.join(osp.dirname(__file__), '..', 'data', 'configs', 'toy_runner.py')


def _args(work_dir, **kwargs):
    defaults = dict(config=CONFIG, work_dir=str(work_dir), resume=None, amp=False,
                    auto_scale_lr=False, cfg_options=None, launcher='none', time_budget=None)
    return argparse.Namespace(**dict(defaults, **kwargs))


def test_time_budget_stops_the_run_and_still_saves_the_last_checkpoint(tmp_path):
    import diffhand_mm  # noqa: F401  (TrainTimeBudgetHook is registered in our scope)
    cfg = merge_args(Config.fromfile(CONFIG), _args(tmp_path, time_budget=1e-9))
    assert cfg.custom_hooks[-1] == dict(type='diffhand_mm.TrainTimeBudgetHook',
                                        budget_seconds=1e-9)
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    # any positive budget is spent by the first iteration: the loop ends there, as at max_iters
    assert runner.iter == 1 < Config.fromfile(CONFIG).train_cfg.max_iters
    with open(osp.join(str(tmp_path), 'last_checkpoint')) as f:
        assert f.read().strip().endswith('iter_1.pth')


def test_time_budget_must_be_positive(tmp_path):
    with pytest.raises(SystemExit, match='--time-budget must be positive'):
        merge_args(Config.fromfile(CONFIG), _args(tmp_path, time_budget=0))


def test_time_budget_survives_a_custom_hooks_override(tmp_path):
    cfg = merge_args(Config.fromfile(CONFIG),
                     _args(tmp_path, time_budget=60.0, cfg_options={'custom_hooks': []}))
    assert cfg.custom_hooks == [dict(type='diffhand_mm.TrainTimeBudgetHook',
                                     budget_seconds=60.0)]


def test_no_validate_drops_the_validation_loop(tmp_path):
    base = Config.fromfile(osp.join(osp.dirname(CONFIG), '..', '..', '..', 'configs',
                                    'diffhand_tiny_synthhand.py'))
    assert base.val_cfg is not None and base.val_dataloader is not None
    cfg = merge_args(base, _args(tmp_path, no_validate=True))
    assert cfg.val_cfg is None and cfg.val_dataloader is None and cfg.val_evaluator is None
    kept = merge_args(Config.fromfile(base.filename), _args(tmp_path))
    assert kept.val_cfg is not None

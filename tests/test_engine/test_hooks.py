"""TrainTimeBudgetHook ends training at the budget and still saves the last checkpoint;
TestTimeAugmentationHook turns TTA on for testing only."""
import os.path as osp
import uuid

import pytest
from mmengine.config import Config
from mmengine.runner import Runner

CONFIG = osp.join(osp.dirname(__file__), '..', 'data', 'configs', 'toy_runner.py')


def _runner(work_dir, budget):
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'budget_{uuid.uuid4().hex[:8]}'
    cfg.custom_hooks = [dict(type='TrainTimeBudgetHook', budget_seconds=budget)]
    return Runner.from_cfg(cfg)


def test_budget_stops_training_and_keeps_the_last_checkpoint(tmp_path):
    runner = _runner(tmp_path, budget=1e-9)  # spent after the first iteration
    runner.train()
    assert runner.iter == 1
    assert osp.isfile(tmp_path / 'iter_1.pth')
    assert runner.message_hub.get_info('train_time_seconds') > 0


def test_large_budget_changes_nothing(tmp_path):
    runner = _runner(tmp_path, budget=3600)
    runner.train()
    assert runner.iter == 6


def test_budget_must_be_positive():
    from diffhand_mm.engine import TrainTimeBudgetHook
    with pytest.raises(ValueError, match='positive'):
        TrainTimeBudgetHook(0)


def test_tta_hook_applies_to_testing_only_and_restores_the_setting():
    from types import SimpleNamespace

    from diffhand_mm.engine import TestTimeAugmentationHook
    tta = dict(rotations=[0.0, 10.0], scales=[1.0])
    hook = TestTimeAugmentationHook(tta)
    runner = SimpleNamespace(model=SimpleNamespace(test_cfg=dict(sampling_steps=10)))
    hook.before_test(runner)
    assert runner.model.test_cfg['tta'] == tta
    hook.after_test(runner)
    assert runner.model.test_cfg == dict(sampling_steps=10)
    runner.model.test_cfg['tta'] = dict(rotations=[5.0])
    hook.before_test(runner)
    hook.after_test(runner)
    assert runner.model.test_cfg['tta'] == dict(rotations=[5.0])
    with pytest.raises(ValueError, match='scales'):
        TestTimeAugmentationHook(dict(scales=[-1.0]))

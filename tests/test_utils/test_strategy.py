"""diffhand_mm.utils.strategy: the --strategy switch and the runner it builds."""
import argparse
import importlib.util
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import FlexibleRunner, Runner

from diffhand_mm.engine import GuardedFlexibleRunner

from diffhand_mm.utils.strategy import apply_strategy, build_runner, check_strategy_supported
from tools.train import merge_args

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOY = osp.join(REPO_ROOT, 'tests', 'data', 'configs', 'toy_runner.py')
TINY = osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py')
NO_DIFFUSION = osp.join(REPO_ROOT, 'configs', 'ablations',
                        'diffhand_tiny_synthhand_no_diffusion.py')


def test_ddp_carries_the_configs_unused_parameter_setting():
    cfg = Config.fromfile(NO_DIFFUSION)
    apply_strategy(cfg, 'ddp')
    assert cfg.runner_type == 'FlexibleRunner' and cfg.strategy.type == 'DDPStrategy'
    assert cfg.strategy.model_wrapper.find_unused_parameters is True


def test_fsdp_saves_whole_checkpoints_and_wraps_large_submodules():
    cfg = Config.fromfile(TINY)
    apply_strategy(cfg, 'fsdp')
    assert cfg.strategy.type == 'FSDPStrategy' and cfg.strategy.state_dict_cfg == 'full'
    assert cfg.strategy.model_wrapper.auto_wrap_policy.min_num_params == 10**7
    # The config names the OptimWrapper class (pure-Python style): replaced all the same.
    assert cfg.optim_wrapper.type == 'FSDPOptimWrapper'


def test_deepspeed_takes_over_the_optimizer_wrapper_and_clipping():
    cfg = Config.fromfile(TINY)
    optimizer = cfg.optim_wrapper.optimizer
    apply_strategy(cfg, 'deepspeed')
    assert cfg.optim_wrapper == dict(type='DeepSpeedOptimWrapper', optimizer=optimizer)
    assert cfg.strategy.gradient_clipping == 1.0
    assert cfg.strategy.zero_optimization == dict(stage=2)


def test_unknown_strategy_is_an_error():
    with pytest.raises(ValueError, match='unknown strategy'):
        apply_strategy(Config.fromfile(TOY), 'zero3')


def test_deepspeed_not_installed_says_how_to_get_it(monkeypatch):
    cfg = Config.fromfile(TOY)
    apply_strategy(cfg, 'deepspeed')
    cfg.launcher = 'pytorch'
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: None)
    with pytest.raises(SystemExit, match='pip install deepspeed'):
        check_strategy_supported(cfg)


def test_deepspeed_without_cuda_names_the_strategies_that_run(monkeypatch):
    cfg = Config.fromfile(TOY)
    apply_strategy(cfg, 'deepspeed')
    cfg.launcher = 'pytorch'
    monkeypatch.setattr(importlib.util, 'find_spec', lambda name: object())
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(SystemExit, match='needs a CUDA device.*ddp or fsdp'):
        check_strategy_supported(cfg)


def _args(tmp_path, **kwargs):
    defaults = dict(config=TOY, work_dir=str(tmp_path), resume=None, amp=False,
                    auto_scale_lr=False, cfg_options=None, launcher='none', strategy=None)
    return argparse.Namespace(**dict(defaults, **kwargs))


def test_cfg_options_refine_the_command_line_strategy(tmp_path):
    args = _args(tmp_path, strategy='fsdp', cfg_options={'strategy.state_dict_cfg': 'local'})
    cfg = merge_args(Config.fromfile(TOY), args)
    assert cfg.strategy.type == 'FSDPStrategy' and cfg.strategy.state_dict_cfg == 'local'


@pytest.mark.parametrize('strategy, runner_class', [
    (None, Runner), (dict(type='SingleDeviceStrategy'), GuardedFlexibleRunner)])
def test_build_runner_trains_with_the_runner_the_config_asks_for(tmp_path, strategy,
                                                                  runner_class):
    cfg = merge_args(Config.fromfile(TOY), _args(tmp_path))
    cfg.strategy = strategy
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    runner = build_runner(cfg)
    assert type(runner) is runner_class
    runner.train()
    assert runner.iter == 6 and osp.isfile(tmp_path / 'iter_6.pth')


def test_distributed_strategy_without_a_launcher_says_how_to_start_it(tmp_path):
    cfg = merge_args(Config.fromfile(TOY), _args(tmp_path, strategy='fsdp'))
    cfg.launcher = 'none'
    with pytest.raises(SystemExit, match='FSDPStrategy.*tools/dist_train.sh'):
        build_runner(cfg)

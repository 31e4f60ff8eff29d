"""tools/train.py: --resume continues exactly where an uninterrupted run would be."""
import argparse
import json
import os.path as osp
import uuid

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from tools.train import merge_args

CONFIG = osp.join(osp.dirname(__file__), '..', 'data', 'configs', 'toy_runner.py')


def _args(work_dir, resume=None, cfg_options=None):
    return argparse.Namespace(config=CONFIG, work_dir=str(work_dir), resume=resume, amp=False,
                              auto_scale_lr=False, cfg_options=cfg_options, launcher='none')


def _train(args):
    cfg = merge_args(Config.fromfile(CONFIG), args)
    cfg.experiment_name = f'test_{uuid.uuid4().hex[:8]}'
    runner = Runner.from_cfg(cfg)
    runner.train()
    return runner


def _snapshot(runner):
    return dict(
        params={k: v.clone() for k, v in runner.model.state_dict().items()},
        optimizer=runner.optim_wrapper.state_dict(),
        schedulers=[s.state_dict() for s in runner.param_schedulers],
        iter=runner.iter,
        lr=runner.optim_wrapper.get_lr()['lr'][0],
    )


def test_resume_matches_uninterrupted_run(tmp_path):
    full = _snapshot(_train(_args(tmp_path / 'full')))

    # Stop after 3 iterations (a checkpoint is written at 3), then resume to 6.
    _train(_args(tmp_path / 'split', cfg_options={'train_cfg.max_iters': 3}))
    assert osp.isfile(tmp_path / 'split' / 'iter_3.pth')
    resumed_runner = _train(_args(tmp_path / 'split', resume='auto'))
    resumed = _snapshot(resumed_runner)

    assert resumed['iter'] == full['iter'] == 6
    assert resumed['lr'] == pytest.approx(full['lr'], rel=0, abs=1e-12)
    for name, value in full['params'].items():
        torch.testing.assert_close(resumed['params'][name], value, rtol=0, atol=0)
    full_state = full['optimizer']['state']
    resumed_state = resumed['optimizer']['state']
    for param_id, state in full_state.items():
        for key, value in state.items():
            torch.testing.assert_close(resumed_state[param_id][key], value, rtol=0, atol=0)
    for full_sched, resumed_sched in zip(full['schedulers'], resumed['schedulers']):
        assert resumed_sched['last_step'] == full_sched['last_step']
    # The message hub came back too: the resumed run's history starts at the stored losses.
    history = resumed_runner.message_hub.get_scalar('train/loss_mse')
    assert len(history.data[0]) == 6


def test_resume_from_given_checkpoint_path(tmp_path):
    """Continues at iteration 3 of the given checkpoint: loading only its weights and training
    6 iterations from 0 would also end at ``runner.iter == 6``."""
    full = _snapshot(_train(_args(tmp_path / 'full')))
    _train(_args(tmp_path / 'a', cfg_options={'train_cfg.max_iters': 3}))
    runner = _train(_args(tmp_path / 'b', resume=str(tmp_path / 'a' / 'iter_3.pth')))
    assert runner.iter == 6
    with open(tmp_path / 'b' / 'rank_0.json') as f:
        assert json.load(f)['iterations'] == 3  # iterations this run trained
    resumed = _snapshot(runner)
    assert resumed['lr'] == pytest.approx(full['lr'], rel=0, abs=1e-12)
    for name, value in full['params'].items():
        torch.testing.assert_close(resumed['params'][name], value, rtol=0, atol=0)


def test_resume_missing_checkpoint_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match='does not exist'):
        merge_args(Config.fromfile(CONFIG), _args(tmp_path, resume=str(tmp_path / 'nope.pth')))

"""tools/train.py --auto-scale-lr works with every config: each says the total batch size its
learning rate is for, and MMEngine's scaling (the code that used to stop with "Lack of
`base_batch_size`") scales it by the actual total batch."""
import argparse
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import OptimWrapper
from mmengine.runner import Runner

from tests.test_configs import EXPERIMENT_CONFIGS
from tools.train import merge_args

TOY = osp.join(osp.dirname(__file__), '..', 'data', 'configs', 'toy_runner.py')
# Base batch sizes: the tiny recipe runs 16 images per step on one process, the shipped
# checkpoint's online recipe 64 on one GPU, the paper's real-data schedule 64 in all.
BASE_BATCH = {'diffhand_tiny_synthhand.py': 16, 'diffhand_tiny_synthhand_online.py': 64,
              'diffhand_tiny_synthhand_no_diffusion.py': 16,
              'diffhand_tiny_synthhand_vanilla_decoder.py': 16,
              'diffhand_tiny_synthhand_paper_losses.py': 16, 'diffhand_deit_freihand.py': 64,
              'diffhand_deit_ho3d.py': 64, 'diffhand_hrnet_dexycb.py': 64,
              # the fast DiffHand's configs keep the recipes they are built on
              'diffhand_fast_tiny_synthhand.py': 16,
              'diffhand_fast_tiny_synthhand_distilled.py': 16,
              'diffhand_fast_deit_freihand.py': 64}


def _args(config, tmp_path):
    return argparse.Namespace(config=config, work_dir=str(tmp_path), resume=None, amp=False,
                              auto_scale_lr=True, cfg_options=None, launcher='none')


def test_every_config_has_a_known_base_batch():
    assert sorted(BASE_BATCH) == sorted(osp.basename(p) for p in EXPERIMENT_CONFIGS)


@pytest.mark.parametrize('path', EXPERIMENT_CONFIGS, ids=osp.basename)
def test_auto_scale_lr_scales_by_the_total_batch(path, tmp_path):
    cfg = merge_args(Config.fromfile(path), _args(path, tmp_path))
    assert cfg.auto_scale_lr == dict(base_batch_size=BASE_BATCH[osp.basename(path)],
                                     enable=True)
    lr = cfg.optim_wrapper.optimizer.lr
    wrapper = OptimWrapper(torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr))
    # What Runner.train() does before building the schedulers, for 4 processes.
    runner = SimpleNamespace(world_size=4, _train_dataloader=cfg.train_dataloader,
                             param_schedulers=cfg.param_scheduler,
                             logger=MMLogger.get_instance('test_auto_scale_lr'))
    Runner.scale_lr(runner, wrapper, cfg.auto_scale_lr)
    total_batch = 4 * cfg.train_dataloader.batch_size
    assert wrapper.param_groups[0]['lr'] == pytest.approx(
        lr * total_batch / cfg.auto_scale_lr.base_batch_size)


def test_a_config_without_a_base_batch_is_a_clear_error(tmp_path):
    with pytest.raises(SystemExit, match='toy_runner.py does not say the total batch size'):
        merge_args(Config.fromfile(TOY), _args(TOY, tmp_path))

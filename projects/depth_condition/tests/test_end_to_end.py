"""The README's path through the runner: the depth fine-tune config loads the shipped
checkpoint (strict loading lets only the branch be missing), trains, validates, saves, and its
checkpoint tests with the same config."""
import math
import os.path as osp

from mmengine.config import Config

from diffhand_mm.utils.strategy import build_runner
from diffhand_mm.synth import write_synthhand

PROJECT_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(osp.dirname(PROJECT_DIR))
CONFIG = osp.join(PROJECT_DIR, 'configs', 'diffhand_tiny_synthhand_depth_ft.py')
CHECKPOINT = osp.join(REPO_ROOT, 'checkpoints', 'diffhand_tiny_synthhand.pth')


def _small(cfg, data_root, work_dir, load_from):
    cfg.work_dir = str(work_dir)
    cfg.load_from = load_from
    cfg.train_cfg.update(max_iters=2, val_interval=2)
    cfg.model.test_cfg.sampling_steps = 1
    cfg.default_hooks.logger.interval = 1
    cfg.default_hooks.checkpoint.interval = 2
    for loader in (cfg.train_dataloader, cfg.val_dataloader):
        loader.update(batch_size=2, num_workers=0, persistent_workers=False)
        loader.dataset.data_root = str(data_root)
    cfg.test_dataloader = cfg.val_dataloader
    return cfg


def test_depth_fine_tune_trains_from_the_shipped_checkpoint_and_tests(tmp_path):
    data = tmp_path / 'synthhand_depth'
    write_synthhand(str(data), num_train=4, num_test=2, seed=1, progress=False)
    cfg = _small(Config.fromfile(CONFIG), data, tmp_path / 'work', CHECKPOINT)
    runner = build_runner(cfg)
    runner.train()
    checkpoint = tmp_path / 'work' / 'iter_2.pth'
    assert osp.isfile(checkpoint)
    tested = _small(Config.fromfile(CONFIG), data, tmp_path / 'test', str(checkpoint))
    metrics = build_runner(tested).test()
    assert math.isfinite(metrics['mesh/PA-MPJPE']) and metrics['mesh/PA-MPJPE'] < 100

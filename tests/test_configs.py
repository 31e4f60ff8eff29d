"""Every config loads; the real-data configs stop with a clear message when MANO is missing."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

import diffhand_mm
from diffhand_mm.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
EXPERIMENT_CONFIGS = sorted(
    glob.glob(osp.join(REPO_ROOT, 'configs', '*.py')) +
    glob.glob(osp.join(REPO_ROOT, 'configs', 'ablations', '*.py')))


def test_the_issue_configs_exist():
    names = {osp.basename(p) for p in EXPERIMENT_CONFIGS}
    assert {'diffhand_deit_freihand.py', 'diffhand_hrnet_dexycb.py', 'diffhand_deit_ho3d.py',
            'diffhand_tiny_synthhand.py'} <= names


@pytest.mark.parametrize('path', EXPERIMENT_CONFIGS, ids=osp.basename)
def test_config_is_complete(path):
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'diffhand_mm'
    assert cfg.model.type == 'DiffHand'
    assert cfg.train_dataloader.dataset.type in {'FreiHANDDataset', 'DexYCBDataset',
                                                 'HO3DDataset', 'SynthHandOnlineDataset'}
    assert cfg.test_evaluator.type == 'MeshMetric'
    # Offline by default: nothing downloads when a config is built.
    assert cfg.model.backbone.pretrained is False
    assert cfg.optim_wrapper.optimizer.type == 'AdamW'


@pytest.mark.parametrize('name', ['diffhand_deit_freihand.py', 'diffhand_hrnet_dexycb.py',
                                  'diffhand_deit_ho3d.py'])
def test_real_data_configs_use_mano_and_say_where_to_put_it(name, tmp_path, monkeypatch):
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', name))
    assert cfg.model.head.hand_model.type == 'MANOHandModel'
    monkeypatch.chdir(tmp_path)  # no data/mano here
    diffhand_mm.register_all_modules(init_default_scope=False)
    with pytest.raises(FileNotFoundError, match='data/mano'):
        MODELS.build(cfg.model.head.hand_model)


def test_paper_settings_of_the_freihand_config():
    cfg = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'diffhand_deit_freihand.py'))
    assert cfg.model.backbone.model_name == 'deit3_large_patch16_224'
    assert cfg.train_dataloader.batch_size == 64
    assert cfg.train_cfg.max_epochs == 100
    assert cfg.model.test_cfg.sampling_steps == 10
    head = cfg.model.head
    assert head.decoder.num_blocks == 3 and head.decoder.sample_rate == 4
    assert head.loss_normal.loss_weight == 0.05


def test_ablation_configs_switch_exactly_one_thing():
    base = Config.fromfile(osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py'))
    no_diff = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'ablations', 'diffhand_tiny_synthhand_no_diffusion.py'))
    vanilla = Config.fromfile(
        osp.join(REPO_ROOT, 'configs', 'ablations', 'diffhand_tiny_synthhand_vanilla_decoder.py'))
    assert base.model.head.use_diffusion and not no_diff.model.head.use_diffusion
    assert no_diff.model.head.decoder == base.model.head.decoder
    assert vanilla.model.head.decoder.type == 'VanillaMeshDecoder'
    assert vanilla.model.head.use_diffusion
    for cfg in (no_diff, vanilla):
        assert cfg.train_cfg == base.train_cfg and cfg.optim_wrapper == base.optim_wrapper

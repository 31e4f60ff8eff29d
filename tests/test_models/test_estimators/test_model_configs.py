import os.path as osp

import pytest
import torch
from mmengine.config import Config

from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples

import diffhand_mm.models  # noqa: F401

CONFIG_DIR = osp.join(osp.dirname(__file__), '..', '..', '..', 'configs', '_base_', 'models')
NAMES = ('diffhand_tiny', 'diffhand_deit_large', 'diffhand_hrnet_w64', 'diffhand_fast_tiny',
         'diffhand_fast_deit_large')


def _load(name):
    return Config.fromfile(osp.join(CONFIG_DIR, f'{name}.py'))


LOSS_KEYS = ('loss_x0', 'loss_vertex', 'loss_joint', 'loss_joint_2d', 'loss_normal')


def test_configs_share_head_losses_and_sampling():
    heads = [_load(name).model.head for name in NAMES]
    for head in heads[1:]:
        for key in ('num_timesteps', 'vertex_scale', 'hand_model'):
            assert head[key] == heads[0][key], key
    # the paper configs (DeiT, HRNet) train with the paper's losses, weights 1 and 0.05
    deit, hrnet = heads[1:3]
    assert {k: deit[k] for k in LOSS_KEYS} == {k: hrnet[k] for k in LOSS_KEYS}
    assert {k: deit[k]['type'].__name__ for k in LOSS_KEYS} == dict(
        loss_x0='X0MSELoss', loss_vertex='VertexMSELoss', loss_joint='JointMSELoss',
        loss_joint_2d='Joint2DMSELoss', loss_normal='EdgeNormalLoss')
    # the tiny SynthHand models keep ours, which the shipped checkpoints were trained with; the
    # fast DeiT config is built on the paper's
    for tiny in (heads[0], heads[3]):
        assert {k: tiny[k]['type'].__name__ for k in LOSS_KEYS} == dict(
            loss_x0='X0MSELoss', loss_vertex='VertexL1Loss', loss_joint='JointL1Loss',
            loss_joint_2d='Joint2DL1Loss', loss_normal='NormalConsistencyLoss')
    assert {k: heads[4][k] for k in LOSS_KEYS} == {k: deit[k] for k in LOSS_KEYS}
    for head in heads:
        assert [head[k]['loss_weight'] for k in LOSS_KEYS] == [1.0, 1.0, 1.0, 0.05, 0.05]
    assert _load('diffhand_deit_large').model.backbone.model_name == 'deit3_large_patch16_224'
    assert _load('diffhand_hrnet_w64').model.backbone.model_name == 'hrnet_w64'


def test_fast_configs_change_only_the_decoder():
    for fast, paper in (('diffhand_fast_tiny', 'diffhand_tiny'),
                        ('diffhand_fast_deit_large', 'diffhand_deit_large')):
        fast_model, paper_model = _load(fast).model, _load(paper).model
        assert fast_model.backbone == paper_model.backbone
        assert {k: v for k, v in fast_model.head.items() if k != 'decoder'} == \
            {k: v for k, v in paper_model.head.items() if k != 'decoder'}
        assert fast_model.head.decoder.signal_rate == 4
    assert _load('diffhand_fast_tiny').model.head.decoder == \
        _load('diffhand_fast_deit_large').model.head.decoder


@pytest.mark.parametrize('name,levels', [('diffhand_tiny', [778, 195, 49]),
                                         ('diffhand_fast_tiny', [195, 49, 13])])
def test_tiny_config_with_the_open_hand_trains_and_predicts(name, levels):
    torch.manual_seed(0)
    model = MODELS.build(_load(name).model)
    assert model.head.decoder.image_proj.in_features == model.backbone.feature_channels
    assert model.head.decoder.hierarchy.level_sizes == levels
    samples = make_data_samples(2, size=128)
    images = [torch.randint(0, 256, (3, 128, 128), dtype=torch.uint8) for _ in range(2)]
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), training=True)
    losses = model(**data, mode='loss')
    assert all(torch.isfinite(v) for v in losses.values())
    model.eval()
    model.test_cfg.update(sampling_steps=2)
    pred = model(**data, mode='predict')[0].pred_instances
    assert pred.vertices.shape == (1, 778, 3) and torch.all(pred.vertices[..., 2] > 0)

"""Strict checkpoint loading: weights and the training config must match the given config."""
import logging

import pytest
import torch
from mmengine.logging import MMLogger
from torch import nn

from diffhand_mm.engine import CheckpointMismatchError, check_checkpoint
from diffhand_mm.engine.strict_loading import compare_model_configs, config_section
from tests.conftest import REPO_ROOT

SHIPPED = f'{REPO_ROOT}/checkpoints/diffhand_tiny_synthhand.pth'

SAVED_CFG = '''
default_scope = 'diffhand_mm'
model = dict(
    type='diffhand_mm.models.estimators.DiffHand',
    head=dict(type='DiffusionMeshHead', use_diffusion=True, num_timesteps=1000,
              loss_x0=dict(type='X0MSELoss', loss_weight=1.0),
              decoder=dict(type='CrossModalityDecoder', dim=64, num_heads=4)),
    test_cfg=dict(sampling_steps=10))
'''


class _Net(nn.Module):
    def __init__(self, width=3):
        super().__init__()
        self.a = nn.Linear(2, width)
        self.b = nn.Linear(width, 1)


def _given_cfg(**head):
    from diffhand_mm.models.estimators import DiffHand  # a class, as new-style configs give
    base = dict(type='DiffusionMeshHead', use_diffusion=True, num_timesteps=1000,
                loss_x0=dict(type='X0MSELoss', loss_weight=0.5),
                decoder=dict(type='CrossModalityDecoder', dim=64, num_heads=4))
    base.update(head)
    return dict(type=DiffHand, head=base, test_cfg=dict(sampling_steps=3))


def test_missing_unexpected_and_misshaped_keys_are_named():
    saved = _Net(width=4).state_dict()
    saved['extra.weight'] = torch.zeros(1)
    del saved['b.bias']
    with pytest.raises(CheckpointMismatchError) as info:
        check_checkpoint(_Net(width=3), dict(state_dict=saved), source='ckpt.pth',
                         config_name='cfg.py')
    message = str(info.value)
    assert message.startswith('ckpt.pth was not made for cfg.py')
    assert '1 missing key (b.bias)' in message and '1 unexpected key (extra.weight)' in message
    assert 'a.weight (checkpoint (4, 2), model (3, 2))' in message
    # a matching checkpoint (DDP's module. prefix included) passes
    check_checkpoint(_Net(), dict(state_dict={f'module.{k}': v
                                              for k, v in _Net().state_dict().items()}))


def test_training_config_is_compared_without_test_time_and_loss_settings():
    saved = config_section(SAVED_CFG, 'model')
    assert compare_model_configs(saved, _given_cfg()) == ([], [])
    differences, _ = compare_model_configs(saved, _given_cfg(use_diffusion=False))
    assert differences == ['model.head.use_diffusion: checkpoint True, config False']
    differences, unchecked = compare_model_configs(
        saved, _given_cfg(decoder=dict(type='VanillaMeshDecoder', dim=64, num_layers=6)))
    assert differences == ["model.head.decoder.type: checkpoint 'CrossModalityDecoder', "
                           "config 'VanillaMeshDecoder'"] and unchecked == []


def test_same_weights_other_config_is_refused():
    net = _Net()
    checkpoint = dict(state_dict=net.state_dict(), meta=dict(cfg=SAVED_CFG))
    with pytest.raises(CheckpointMismatchError,
                       match='trained with other model settings: model.head.use_diffusion: '
                       'checkpoint True, config False'):
        check_checkpoint(net, checkpoint, _given_cfg(use_diffusion=False))
    check_checkpoint(net, checkpoint, _given_cfg())


def test_checkpoint_without_meta_loads_with_a_warning():
    records = []
    handler = logging.Handler(logging.WARNING)
    handler.emit = records.append
    logger = MMLogger.get_current_instance()  # where print_log(logger='current') goes
    logger.addHandler(handler)
    try:
        check_checkpoint(_Net(), dict(state_dict=_Net().state_dict()), _given_cfg(),
                         source='old.pth')
    finally:
        logger.removeHandler(handler)
    (message, ) = [r.getMessage() for r in records]
    assert message.startswith('old.pth: no training config in the checkpoint (meta.cfg)')
    assert 'could not be compared' in message


def test_config_text_of_a_checkpoint_is_never_run(tmp_path):
    marker = tmp_path / 'ran'
    text = f"import os\nos.system('touch {marker}')\nmodel = dict(type='X', depth=__import__" \
           f"('os').system('touch {marker}'))\n"
    section = config_section(text, 'model')
    assert not marker.exists() and section['type'] == 'X'
    assert 'system' in str(section['depth'])  # kept as text, not evaluated


def test_shipped_checkpoint_against_the_configs():
    from diffhand_mm.apis import init_model
    init_model(f'{REPO_ROOT}/configs/diffhand_tiny_synthhand.py', SHIPPED)
    with pytest.raises(CheckpointMismatchError, match='model.head.use_diffusion: checkpoint '
                       'True, config False'):
        init_model(f'{REPO_ROOT}/configs/ablations/diffhand_tiny_synthhand_no_diffusion.py',
                   SHIPPED)
    with pytest.raises(CheckpointMismatchError,
                       match=r'missing keys \(head\.decoder\.transformer.*unexpected keys'):
        init_model(f'{REPO_ROOT}/configs/ablations/diffhand_tiny_synthhand_vanilla_decoder.py',
                   SHIPPED)

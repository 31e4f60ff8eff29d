"""The model index: every metafile entry names a config that loads, and weights that exist and
load into that config's model."""
import os.path as osp

import pytest
import torch
import yaml
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from diffhand_mm.registry import MODELS

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))


def _models():
    with open(osp.join(REPO_ROOT, 'model-index.yml')) as f:
        index = yaml.safe_load(f)
    models = []
    for path in index['Import']:
        with open(osp.join(REPO_ROOT, path)) as f:
            models += yaml.safe_load(f)['Models']
    return models


def test_every_config_is_indexed():
    indexed = {m['Config'] for m in _models()}
    for name in ('diffhand_tiny_synthhand', 'diffhand_deit_freihand', 'diffhand_hrnet_dexycb',
                 'diffhand_deit_ho3d'):
        assert f'configs/{name}.py' in indexed


@pytest.mark.parametrize('model', _models(), ids=lambda m: m['Name'])
def test_entry_names_a_loadable_config_and_existing_weights(model):
    cfg = Config.fromfile(osp.join(REPO_ROOT, model['Config']))
    assert osp.splitext(osp.basename(model['Config']))[0] == model['Name']
    if 'Weights' in model:
        torch.manual_seed(0)
        net = MODELS.build(cfg.model)
        checkpoint = load_checkpoint(net, osp.join(REPO_ROOT, model['Weights']),
                                     map_location='cpu', strict=True)
        assert checkpoint['state_dict']

"""The depth-conditioned DiffHand: the base checkpoint's predictions at initialisation, a branch
that learns, and RGB-D inputs from the pipeline to the encoder."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate

import diffhand_mm
from depth_condition import DepthConditionedDiffHand, LoadDepthCondition, PackRGBDInputs
from diffhand_mm.engine import load_local_checkpoint
from diffhand_mm.registry import DATASETS, MODELS

PROJECT_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
REPO_ROOT = osp.dirname(osp.dirname(PROJECT_DIR))
BASE_CONFIG = osp.join(REPO_ROOT, 'configs', 'diffhand_tiny_synthhand.py')
CHECKPOINT = osp.join(REPO_ROOT, 'checkpoints', 'diffhand_tiny_synthhand.pth')
JOINS = ('backbone', 'backbone.model.bn1')


@pytest.fixture(scope='module')
def base_cfg():
    diffhand_mm.register_all_modules()
    return Config.fromfile(BASE_CONFIG)


@pytest.fixture(scope='module')
def rgbd_batch(base_cfg):
    """Two unseen SynthHand crops with their degraded rendered depth, packed RGB-D."""
    pipeline = list(base_cfg.test_pipeline[:-1]) + [
        dict(type=LoadDepthCondition, source=dict(type='RenderedDepthSource')),
        dict(type=PackRGBDInputs)]
    dataset = DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=2, seed=1,
                                  split='evaluation', pipeline=pipeline))
    return pseudo_collate([dataset[i] for i in range(2)])


def _depth_model(base_cfg, **kwargs):
    cfg = copy.deepcopy(base_cfg.model)
    cfg.pop('data_preprocessor')
    cfg.test_cfg.sampling_steps = 2
    return MODELS.build(dict(cfg, type=DepthConditionedDiffHand, **kwargs))


def _load_base(model):
    state = load_local_checkpoint(CHECKPOINT)['state_dict']
    missing, unexpected = model.load_state_dict(state, strict=False)
    assert not unexpected and all(k.startswith('depth_branch.') for k in missing), missing
    return model.eval()


@pytest.mark.parametrize('join', JOINS)
def test_at_initialisation_the_fine_tune_model_predicts_as_the_base_checkpoint(
        base_cfg, rgbd_batch, join):
    base_model = copy.deepcopy(base_cfg.model)
    base_model.test_cfg.sampling_steps = 2
    base = MODELS.build(base_model)
    base.load_state_dict(load_local_checkpoint(CHECKPOINT)['state_dict'])
    base.eval()
    model = _load_base(_depth_model(base_cfg, join=join))
    rgb_batch = dict(inputs=[x[:3].to(torch.uint8) for x in rgbd_batch['inputs']],
                     data_samples=copy.deepcopy(rgbd_batch['data_samples']))

    def predict(net, batch):
        torch.manual_seed(11)
        return torch.cat([s.pred_instances.vertices
                          for s in net.test_step(copy.deepcopy(batch))])

    expected = predict(base, rgb_batch)
    torch.testing.assert_close(predict(model, rgbd_batch), expected, rtol=0, atol=1e-6)
    # the depth does reach the output once the joining convolution is not zero
    with torch.no_grad():
        model.depth_branch.zero_conv.weight.normal_(0, 0.5)
    assert not torch.allclose(predict(model, rgbd_batch), expected, atol=1e-4)


def _train_step(model, batch):
    optimizer = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    model.train()
    data = model.data_preprocessor(copy.deepcopy(batch), training=True)
    losses = model(**data, mode='loss')
    optimizer.zero_grad()
    sum(losses.values()).backward()
    optimizer.step()


def test_the_branch_learns_and_read_literally_only_its_last_bias_would(base_cfg, rgbd_batch):
    torch.manual_seed(0)
    model = _depth_model(base_cfg, freeze_base=True)
    assert {n for n, p in model.named_parameters() if p.requires_grad} == {
        n for n, _ in model.named_parameters() if n.startswith('depth_branch.')}
    before = copy.deepcopy(model.depth_branch.state_dict())
    for _ in range(2):  # the first step moves the zero conv, the second the layers before it
        _train_step(model, rgbd_batch)
    moved = {k for k, v in model.depth_branch.state_dict().items()
             if not torch.equal(v, before[k])}
    assert moved == set(before)  # every weight and bias of the branch
    # the paper's wording, every layer zero: only the joining conv's bias ever changes
    literal = _depth_model(base_cfg, freeze_base=True, depth_branch=dict(zero_init='all'))
    before = copy.deepcopy(literal.depth_branch.state_dict())
    for _ in range(3):
        _train_step(literal, rgbd_batch)
    moved = {k for k, v in literal.depth_branch.state_dict().items()
             if not torch.equal(v, before[k])}
    assert moved == {'zero_conv.bias'}


def test_inputs_must_be_rgbd_and_join_must_exist(base_cfg):
    model = _depth_model(base_cfg)
    with pytest.raises(ValueError, match=r'RGB-D \(B, 4, H, W\)'):
        model.extract_feat(torch.zeros(1, 3, 128, 128))
    with pytest.raises(ValueError, match='not a module'):
        _depth_model(base_cfg, join='backbone.nope')
    data = model.data_preprocessor(dict(inputs=[torch.zeros(4, 8, 8)]))
    # black, infinitely far pixels: -mean/std in every channel (the TTA fill)
    torch.testing.assert_close(data['inputs'][0, :, 0, 0],
                               (-model.data_preprocessor.mean / model.data_preprocessor.std)
                               .flatten())
    with pytest.raises(KeyError, match='LoadDepthCondition'):
        PackRGBDInputs()(dict(img=np.zeros((8, 8, 3), np.uint8), img_path='a.jpg'))

"""A tiny inferencer shared by the API tests: the tiny config's model, random weights,
64 px crops, 2 DDIM steps, one thread (the test machines are small and shared)."""
import pytest
import torch

CROP = 64


@pytest.fixture(scope='session')
def tiny_model():
    from mmengine.config import Config

    from diffhand_mm.registry import MODELS
    import diffhand_mm.models  # noqa: F401
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile('configs/_base_/models/diffhand_tiny.py').model).eval()
    yield model
    torch.set_num_threads(previous)


@pytest.fixture
def make_inferencer(tiny_model):
    from diffhand_mm.apis import MeshInferencer

    def make(**kwargs):
        tiny_model.test_cfg = dict(sampling_steps=2, eta=0.0, num_hypotheses=1)
        kwargs.setdefault('pipeline', [dict(type='HandCrop', input_size=(CROP, CROP),
                                            padding=1.3), dict(type='PackHandInputs')])
        kwargs.setdefault('show_progress', False)
        return MeshInferencer(tiny_model, **kwargs)
    return make

"""Exported samplers (TorchScript, ONNX) against eager PyTorch on the same noise."""
import pytest
import torch

from diffhand_mm.export import (DiffHandSampler, example_inputs, export_onnx, export_torchscript,
                                max_abs_differences, run_exported)
from diffhand_mm.models.heads import perspective_project
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples

import diffhand_mm.models  # noqa: F401

SIZE = 64
STEPS = 2


@pytest.fixture(scope='module', autouse=True)
def one_thread():
    """The test machines are small and shared: many threads only fight each other."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope='module')
def model(one_thread):
    """The tiny config's model (random weights), cut to a 64 px crop."""
    from mmengine.config import Config
    cfg = Config.fromfile('configs/_base_/models/diffhand_tiny.py')
    torch.manual_seed(0)
    return MODELS.build(cfg.model).eval()


def test_eager_sampler_is_the_models_predict_on_the_same_noise(model):
    sampler = DiffHandSampler(model, STEPS)
    images, _, _ = example_inputs(sampler, 2, (SIZE, SIZE))
    samples = make_data_samples(2, size=SIZE)
    cam_K = torch.stack([torch.as_tensor(s.metainfo['cam_K']) for s in samples])
    torch.manual_seed(3)
    noise = torch.randn(2, 778, 3)
    with torch.no_grad():
        vertices, joints, camera = sampler(images, noise, cam_K)
    model.test_cfg.update(sampling_steps=STEPS, num_hypotheses=1)
    torch.manual_seed(3)  # predict draws its noise with torch.randn((B, V, 3))
    outputs = model.test_step(dict(inputs=list(images.to(torch.uint8)), data_samples=samples))
    for i, output in enumerate(outputs):
        pred = output.pred_instances
        torch.testing.assert_close(vertices[i], pred.vertices[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(joints[i], pred.joints_3d[0], atol=1e-5, rtol=0)
        torch.testing.assert_close(camera[i], pred.camera[0])
        # the joints project where predict says they are
        torch.testing.assert_close(perspective_project(joints[i:i + 1], cam_K[i:i + 1])[0],
                                   pred.joints_2d[0], atol=1e-3, rtol=0)


def test_torchscript_matches_eager_to_a_tenth_of_a_millimetre(model, tmp_path):
    sampler = DiffHandSampler(model, STEPS)
    inputs = example_inputs(sampler, 1, (SIZE, SIZE))
    path = export_torchscript(sampler, inputs, str(tmp_path / 'sampler.pt'))
    # new noise and a different camera than the traced example: they are real inputs
    images, _, cam_K = inputs
    noise = torch.randn(1, 778, 3, generator=torch.Generator().manual_seed(9))
    cam_K = cam_K * torch.tensor([[1.5], [1.5], [1.0]])
    with torch.no_grad():
        eager = sampler(images, noise, cam_K)
    differences = max_abs_differences(eager, run_exported(path, (images, noise, cam_K)))
    assert differences['vertices'] < 1e-4 and differences['joints_3d'] < 1e-4
    # the noise really drives the output (a trace that froze it would ignore the new noise)
    with torch.no_grad():
        other = sampler(images, torch.randn(1, 778, 3), cam_K)[0]
    assert (other - eager[0]).abs().max() > 1e-3


def test_onnx_matches_eager_to_a_tenth_of_a_millimetre(model, tmp_path):
    pytest.importorskip('onnx')
    pytest.importorskip('onnxruntime')
    sampler = DiffHandSampler(model, STEPS)
    inputs = example_inputs(sampler, 1, (SIZE, SIZE))
    path = export_onnx(sampler, inputs, str(tmp_path / 'sampler.onnx'))
    images, noise, cam_K = inputs
    noise = -noise
    with torch.no_grad():
        eager = sampler(images, noise, cam_K)
    differences = max_abs_differences(eager, run_exported(path, (images, noise, cam_K)))
    assert max(differences.values()) < 1e-4


def test_fast_model_exports_its_coarse_sampler(tmp_path):
    """The fast DiffHand's noise is its 195 signal points; the export matches eager."""
    from mmengine.config import Config
    cfg = Config.fromfile('configs/_base_/models/diffhand_fast_tiny.py')
    torch.manual_seed(0)
    fast = MODELS.build(cfg.model).eval()
    sampler = DiffHandSampler(fast, STEPS)
    inputs = example_inputs(sampler, 1, (SIZE, SIZE))
    assert inputs[1].shape == (1, 195, 3)
    path = export_torchscript(sampler, inputs, str(tmp_path / 'fast.pt'))
    images, noise, cam_K = inputs
    noise = torch.randn(1, 195, 3, generator=torch.Generator().manual_seed(4))
    with torch.no_grad():
        eager = sampler(images, noise, cam_K)
    assert eager[0].shape == (1, 778, 3)
    differences = max_abs_differences(eager, run_exported(path, (images, noise, cam_K)))
    assert differences['vertices'] < 1e-4 and differences['joints_3d'] < 1e-4


def test_export_refuses_what_it_cannot_do(model, tmp_path):
    sampler = DiffHandSampler(model, STEPS)
    with pytest.raises(ValueError, match='opset must be >= 17'):
        export_onnx(sampler, example_inputs(sampler, 1, (SIZE, SIZE)), str(tmp_path / 'x.onnx'),
                    opset=13)
    model.head.use_diffusion = False
    try:
        with pytest.raises(ValueError, match='use_diffusion=False'):
            DiffHandSampler(model, STEPS)
    finally:
        model.head.use_diffusion = True

"""test_cfg.accelerate: CUDA graphs / torch.compile of the DDIM loop, with eager fallbacks."""
import pytest
import torch

from diffhand_mm.models.heads.accelerated_sampling import AcceleratedSampler
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import small_head_cfg

import diffhand_mm.models  # noqa: F401


def _head_and_feats():
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg()).eval()
    return head, (torch.randn(2, 8, 4, 4), torch.randn(2, 16))


def _sample(head, feats, accelerate, eta=0.0):
    with torch.no_grad():
        return head.sample_vertices(feats, num_hypotheses=2, sampling_steps=3, eta=eta,
                                    generator=torch.Generator().manual_seed(5),
                                    accelerate=accelerate)


@pytest.mark.parametrize('eta', [0.0, 0.5])
def test_cuda_graph_request_without_cuda_falls_back_to_the_eager_loop(eta, caplog):
    head, feats = _head_and_feats()
    eager = _sample(head, feats, None, eta)
    torch.testing.assert_close(_sample(head, feats, 'cuda_graph', eta), eager, atol=0, rtol=0)
    torch.testing.assert_close(_sample(head, feats, dict(type='cuda_graph'), eta), eager,
                               atol=0, rtol=0)
    assert not head._accelerated.graphs  # nothing captured on the CPU


def test_compiled_loop_equals_the_eager_loop():
    head, feats = _head_and_feats()
    eager = _sample(head, feats, None)
    # the 'eager' backend runs dynamo's graph capture without a C++ toolchain
    compiled = _sample(head, feats, dict(type='compile', backend='eager'))
    torch.testing.assert_close(compiled, eager, atol=1e-6, rtol=0)
    assert len(head._accelerated.compiled) == 1
    head.to(torch.float32)  # moving the weights drops what was compiled for them
    assert not head._accelerated.compiled


def test_a_failing_compiler_falls_back_once_and_stays_eager(monkeypatch):
    calls = []

    def loop(context, noise, timesteps, eta=0.0, generator=None):
        calls.append(len(timesteps))
        return noise * 2

    def broken_compile(fn, **options):
        def run(*args):
            raise RuntimeError('no compiler here')
        return run

    monkeypatch.setattr(torch, 'compile', broken_compile)
    sampler = AcceleratedSampler(loop)
    noise = torch.ones(2, 3)
    for _ in range(2):
        out = sampler('compile', None, noise, [(999, -1)])
        torch.testing.assert_close(out, noise * 2)
    assert calls == [1, 1]
    with pytest.raises(ValueError, match="'cuda_graph' or 'compile'"):
        sampler('tensorrt', None, noise, [(999, -1)])


@pytest.mark.skipif(not torch.cuda.is_available(), reason='needs a CUDA device')
def test_cuda_graph_replays_the_eager_loop_on_the_gpu():
    head, feats = _head_and_feats()
    head, feats = head.cuda(), tuple(f.cuda() for f in feats)
    eager = _sample(head, feats, None)
    graphed = _sample(head, feats, 'cuda_graph')
    torch.testing.assert_close(graphed, eager, atol=1e-5, rtol=0)
    other = _sample(head, tuple(f + 1 for f in feats), 'cuda_graph')  # new inputs, same graph
    torch.testing.assert_close(other, _sample(head, tuple(f + 1 for f in feats), None),
                               atol=1e-5, rtol=0)
    assert len(head._accelerated.graphs) == 1

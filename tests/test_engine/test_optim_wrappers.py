"""FSDPOptimWrapper: gradient-norm clipping over all ranks' shards (the 2-rank FSDP run that
must train the same weights as DDP is in tests/test_tools/test_distributed.py)."""
import pytest
import torch
import torch.distributed as torch_dist

from diffhand_mm.engine import FSDPOptimWrapper


def _params_with_grads():
    generator = torch.Generator().manual_seed(0)
    params = [torch.nn.Parameter(torch.zeros(5)), torch.nn.Parameter(torch.zeros(3, 2))]
    for param in params:
        param.grad = torch.randn(param.shape, generator=generator) * 3  # norm ~10: clipped
    return params


@pytest.fixture
def world_of_one(tmp_path):
    """A gloo process group of one rank: the combined norm must equal the local one."""
    torch_dist.init_process_group('gloo', init_method=f"file://{tmp_path / 'store'}", rank=0,
                                  world_size=1)
    yield
    torch_dist.destroy_process_group()


@pytest.mark.parametrize('norm_type', [2.0, 1.0, float('inf')])
def test_clipping_in_a_process_group_matches_torchs_clipping(world_of_one, norm_type):
    ours, reference = _params_with_grads(), _params_with_grads()
    wrapper = FSDPOptimWrapper(torch.optim.SGD(ours, lr=0.1),
                               clip_grad=dict(max_norm=0.5, norm_type=norm_type))
    wrapper._clip_grad()
    total = torch.nn.utils.clip_grad_norm_(reference, max_norm=0.5, norm_type=norm_type)
    for param, expected in zip(ours, reference):
        torch.testing.assert_close(param.grad, expected.grad)
    assert wrapper.message_hub.get_scalar('train/grad_norm').current() == pytest.approx(
        float(total))

"""The image context (tokens, cross-attention keys/values), computed once per image and passed
to every DDIM step, changes no result.

The reference is the decoder as it was before: ``nn.MultiheadAttention`` projecting the image
tokens itself in every call, and the head repeating the encoder features per hypothesis and
re-encoding them in every DDIM step.
"""
import pytest
import torch

from diffhand_mm.models.decoders import AttentionBlock
from diffhand_mm.models.decoders.base_decoder import ImageContext
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import small_head_cfg

import diffhand_mm.models  # noqa: F401


def _randomise_biases(module):
    with torch.no_grad():
        for name, param in module.named_parameters():
            if 'bias' in name:
                param.normal_(0, 0.5)


@pytest.mark.parametrize('training', [True, False])
def test_cached_cross_attention_equals_multihead_attention(training):
    torch.manual_seed(0)
    block = AttentionBlock(dim=16, num_heads=4, ffn_ratio=2).train(training)
    _randomise_biases(block)
    x, image_tokens = torch.randn(3, 50, 16), torch.randn(3, 7, 16)
    cached = block.cross_attend(x, *block.image_keys_values(image_tokens))
    reference = block.cross_attn(x, image_tokens, image_tokens, need_weights=False)[0]
    torch.testing.assert_close(cached, reference, atol=1e-5, rtol=0)
    # the keys depend on the image: a different image changes the result
    assert not torch.allclose(block.cross_attend(x, *block.image_keys_values(image_tokens + 1)),
                              cached, atol=1e-3)


def _reference_sampling(head, feats, num_hypotheses, steps, eta, seed):
    """The sampler before: features repeated per hypothesis and re-encoded in each step."""
    feature_map, embedding = (f.repeat_interleave(num_hypotheses, dim=0) for f in feats)
    gen = torch.Generator().manual_seed(seed)
    noise = torch.randn((feature_map.shape[0], head.num_vertices, 3), generator=gen)
    x0 = head.diffusion.ddim_sample(
        lambda x_t, t: head.decoder(x_t, t, head.decoder.encode_image(feature_map, embedding)),
        noise, steps, eta, gen)
    return head.diffusion.denormalize(x0).reshape(feats[0].shape[0], num_hypotheses, -1, 3)


def test_sampling_with_context_once_equals_reencoding_every_step(monkeypatch):
    eta = 0.5  # exercises the initial noise and the per-step noise of the generator
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg()).eval()
    _randomise_biases(head.decoder)
    gen = torch.Generator().manual_seed(1)
    feats = (torch.randn(2, 8, 4, 4, generator=gen), torch.randn(2, 16, generator=gen))
    sampled = head.sample_vertices(feats, num_hypotheses=2, sampling_steps=2, eta=eta,
                                   generator=torch.Generator().manual_seed(7))
    with monkeypatch.context() as patch:  # the attention block as it was: MHA projects K, V
        patch.setattr(AttentionBlock, 'image_keys_values', lambda self, tokens: (tokens, tokens))
        patch.setattr(AttentionBlock, 'cross_attend',
                      lambda self, x, k, v: self.cross_attn(x, k, v, need_weights=False)[0])
        reference = _reference_sampling(head, feats, 2, 2, eta, seed=7)
    assert sampled.shape == (2, 2, 778, 3)
    torch.testing.assert_close(sampled, reference, atol=1e-5, rtol=0)
    # the hypotheses really differ (different noise), so the comparison is not trivial
    assert (sampled[:, 0] - sampled[:, 1]).abs().max() > 1e-3


def test_image_is_encoded_once_per_image_whatever_steps_and_hypotheses(monkeypatch):
    torch.manual_seed(0)
    head = MODELS.build(small_head_cfg()).eval()
    decoder = head.decoder
    encoded_rows = []
    original = type(decoder).encode_image

    def counting_encode_image(self, feature_map, embedding):
        encoded_rows.append(feature_map.shape[0])
        return original(self, feature_map, embedding)

    monkeypatch.setattr(type(decoder), 'encode_image', counting_encode_image)
    feats = (torch.randn(2, 8, 4, 4), torch.randn(2, 16))
    head.sample_vertices(feats, num_hypotheses=3, sampling_steps=4)
    assert encoded_rows == [2]  # once per image (B rows), not per step or hypothesis


def test_repeated_context_keeps_each_images_copies_adjacent():
    condition = torch.arange(2.0)[:, None].expand(2, 4)
    keys = torch.arange(2.0).reshape(2, 1, 1, 1).expand(2, 2, 3, 4)
    context = ImageContext(condition, ((keys, keys + 10),))
    repeated = context.repeat_interleave(3)
    assert repeated.batch_size == 6
    torch.testing.assert_close(repeated.condition[:, 0], torch.tensor([0., 0, 0, 1, 1, 1]))
    (rep_keys, rep_values), = repeated.memory
    torch.testing.assert_close(rep_keys[:, 0, 0, 0], torch.tensor([0., 0, 0, 1, 1, 1]))
    torch.testing.assert_close(rep_values[:, 0, 0, 0], torch.tensor([10., 10, 10, 11, 11, 11]))
    assert context.repeat_interleave(1) is context
    assert ImageContext(condition, None).repeat_interleave(2).memory is None

import pytest
import torch

from diffhand_mm.models.decoders import (CrossModalityDecoder, VanillaMeshDecoder,
                                         image_positional_encoding,
                                         sinusoidal_timestep_embedding)

TEMPLATE = torch.rand(778, 3, generator=torch.Generator().manual_seed(0)) * 0.1


def _inputs(seed=0):
    gen = torch.Generator().manual_seed(seed)
    return (torch.randn(2, 778, 3, generator=gen), torch.tensor([10, 900]),
            torch.randn(2, 8, 4, 4, generator=gen), torch.randn(2, 16, generator=gen))


@pytest.mark.parametrize('decoder_type', [CrossModalityDecoder, VanillaMeshDecoder])
def test_decoder_conditions_on_inputs(decoder_type):
    torch.manual_seed(0)
    extra = dict(num_layers=2) if decoder_type is VanillaMeshDecoder else dict(num_blocks=2)
    decoder = decoder_type(TEMPLATE, in_channels=8, embed_dim=16, dim=16, num_heads=2, **extra)
    x_t, t, feature_map, embedding = _inputs()
    context = decoder.encode_image(feature_map, embedding)
    out = decoder(x_t, t, context)
    assert out.shape == (2, 778, 3)
    assert not torch.allclose(decoder(x_t + 1, t, context), out)
    assert not torch.allclose(decoder(x_t, t + 50, context), out)
    assert not torch.allclose(decoder(x_t, t, decoder.encode_image(feature_map, embedding + 1)),
                              out)
    # no-diffusion ablation: a single pass without x_t or t
    assert decoder(None, None, context).shape == (2, 778, 3)
    changed_map = decoder(x_t, t, decoder.encode_image(feature_map * 2, embedding))
    # only the cross-modality decoder reads the feature map (cross-attention)
    assert torch.allclose(changed_map, out) == (decoder_type is VanillaMeshDecoder)


def test_x_t_must_match_the_context_batch():
    decoder = CrossModalityDecoder(TEMPLATE, in_channels=8, embed_dim=16, dim=16, num_heads=2)
    x_t, t, feature_map, embedding = _inputs()
    with pytest.raises(ValueError, match=r'x_t must be \(1, 778, 3\)'):
        decoder(x_t, t, decoder.encode_image(feature_map[:1], embedding[:1]))


def test_cross_modality_decoder_structure_and_state_dict():
    decoder = CrossModalityDecoder(TEMPLATE, in_channels=8, embed_dim=16, dim=16, num_heads=2)
    assert len(decoder.vertex_blocks) == 3 and len(decoder.feature_blocks) == 3
    assert decoder.hierarchy.level_sizes == [778, 195, 49]
    assert not any('idx' in key for key in decoder.state_dict())


def test_sinusoidal_encodings_closed_form():
    emb = sinusoidal_timestep_embedding(torch.tensor([0, 3]), 8)
    torch.testing.assert_close(emb[0], torch.tensor([0.0] * 4 + [1.0] * 4))
    # first frequency is 1: sin(3), last is 10000^(-3/4)
    assert emb[1, 0].item() == pytest.approx(torch.sin(torch.tensor(3.0)).item())
    assert emb[1, 3].item() == pytest.approx(torch.sin(torch.tensor(3 * 10000 ** -0.75)).item())
    pos = image_positional_encoding(2, 3, 8, torch.device('cpu'))
    assert pos.shape == (6, 8)
    # cell (row 1, col 2) is index 5; row channels come first, then column channels
    assert pos[5, 0].item() == pytest.approx(torch.sin(torch.tensor(1.0)).item())
    assert pos[5, 4].item() == pytest.approx(torch.sin(torch.tensor(2.0)).item())

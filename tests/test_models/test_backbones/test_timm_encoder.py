"""TimmEncoder: (feature map, embedding) for token and convolutional encoders; weights."""
import os
import subprocess
import sys

import pytest
import torch

from diffhand_mm.models.backbones import PretrainedWeightsUnavailable, TimmEncoder


@pytest.mark.parametrize('name, img_size, channels, grid', [
    ('deit_tiny_patch16_224', 64, 192, (4, 4)),     # token model, DeiT family
    ('resnet18', 64, 512, (2, 2)),                  # convolutional
    ('hrnet_w18_small', 64, 2048, (2, 2)),          # HRNet family (incre features)
    ('fastvit_t8', 64, 768, (2, 2)),                # FastViT family
])
def test_shapes_and_gradients(name, img_size, channels, grid):
    torch.manual_seed(0)
    encoder = TimmEncoder(name, img_size=img_size)
    images = torch.randn(2, 3, img_size, img_size)
    feature_map, embedding = encoder(images)
    assert feature_map.shape == (2, channels, *grid)
    assert embedding.shape == (2, encoder.embed_dim)
    assert encoder.feature_channels == channels and encoder.feature_size == grid

    (feature_map.mean() + embedding.mean()).backward()
    first_param = next(encoder.parameters())
    assert first_param.grad is not None and first_param.grad.abs().sum() > 0


def test_token_feature_map_is_the_patch_tokens_in_raster_order():
    encoder = TimmEncoder('deit_tiny_patch16_224', img_size=64).eval()
    images = torch.randn(1, 3, 64, 64)
    feature_map, _ = encoder(images)
    tokens = encoder.model.forward_features(images)[:, encoder.num_prefix_tokens:]
    # token k is at row k // 4, column k % 4
    torch.testing.assert_close(feature_map[0, :, 1, 2], tokens[0, 1 * 4 + 2])


def test_local_checkpoint_is_loaded(tmp_path):
    source = TimmEncoder('resnet18', img_size=64)
    path = tmp_path / 'resnet18_weights.pth'
    torch.save(source.model.state_dict(), path)
    loaded = TimmEncoder('resnet18', img_size=64, checkpoint=str(path))
    for key, value in source.model.state_dict().items():
        torch.testing.assert_close(loaded.model.state_dict()[key], value)


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='missing.pth'):
        TimmEncoder('resnet18', checkpoint=str(tmp_path / 'missing.pth'))


def test_unknown_model_name():
    with pytest.raises(ValueError, match='unknown timm model'):
        TimmEncoder('not_a_model_xyz')


def test_pretrained_offline_is_a_clear_error_not_a_hang():
    code = ('from diffhand_mm.models.backbones import TimmEncoder\n'
            'TimmEncoder("resnet18", pretrained=True, img_size=64)\n')
    env = dict(os.environ, HF_HUB_OFFLINE='1')
    proc = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode != 0
    assert PretrainedWeightsUnavailable.__name__ in proc.stderr
    assert 'checkpoint=' in proc.stderr

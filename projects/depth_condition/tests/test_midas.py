"""The MiDaS adapter loads the official DPT layout (a state dict the test writes) and runs."""
import numpy as np
import pytest
import torch

from depth_condition import LoadDepthCondition, MidasDepthSource
from depth_condition.midas import MidasDPT, build_midas_dpt


def official_dpt_layout(dim, depth, patch, grid, channels, features, head=32, classes=1000):
    """Key -> shape of a MiDaS ViT-DPT weights file (e.g. dpt_large_384.pt: dim 1024, depth 24,
    patch 16, grid 24, channels (256, 512, 1024, 1024), features 256), written out here from
    the file format independently of the project's module."""
    layout = {
        'pretrained.model.cls_token': (1, 1, dim),
        'pretrained.model.pos_embed': (1, 1 + grid * grid, dim),
        'pretrained.model.patch_embed.proj.weight': (dim, 3, patch, patch),
        'pretrained.model.patch_embed.proj.bias': (dim,),
        'pretrained.model.norm.weight': (dim,), 'pretrained.model.norm.bias': (dim,),
        'pretrained.model.head.weight': (classes, dim), 'pretrained.model.head.bias': (classes,),
    }
    for b in range(depth):
        p = f'pretrained.model.blocks.{b}.'
        layout.update({
            p + 'norm1.weight': (dim,), p + 'norm1.bias': (dim,),
            p + 'attn.qkv.weight': (3 * dim, dim), p + 'attn.qkv.bias': (3 * dim,),
            p + 'attn.proj.weight': (dim, dim), p + 'attn.proj.bias': (dim,),
            p + 'norm2.weight': (dim,), p + 'norm2.bias': (dim,),
            p + 'mlp.fc1.weight': (4 * dim, dim), p + 'mlp.fc1.bias': (4 * dim,),
            p + 'mlp.fc2.weight': (dim, 4 * dim), p + 'mlp.fc2.bias': (dim,)})
    resample = {1: (4, True), 2: (2, True), 4: (3, False)}  # ConvTranspose k4/k2; conv 3x3 s2
    for i, c in enumerate(channels, 1):
        p = f'pretrained.act_postprocess{i}.'
        layout.update({p + '0.project.0.weight': (dim, 2 * dim), p + '0.project.0.bias': (dim,),
                       p + '3.weight': (c, dim, 1, 1), p + '3.bias': (c,)})
        if i in resample:
            k, _ = resample[i]
            layout.update({p + '4.weight': (c, c, k, k), p + '4.bias': (c,)})
        layout[f'scratch.layer{i}_rn.weight'] = (features, c, 3, 3)
        r = f'scratch.refinenet{i}.'
        layout.update({r + 'out_conv.weight': (features, features, 1, 1),
                       r + 'out_conv.bias': (features,)})
        for unit in (1, 2):
            for conv in (1, 2):
                u = f'{r}resConfUnit{unit}.conv{conv}.'
                layout.update({u + 'weight': (features, features, 3, 3), u + 'bias': (features,)})
    layout.update({
        'scratch.output_conv.0.weight': (features // 2, features, 3, 3),
        'scratch.output_conv.0.bias': (features // 2,),
        'scratch.output_conv.2.weight': (head, features // 2, 3, 3),
        'scratch.output_conv.2.bias': (head,),
        'scratch.output_conv.4.weight': (1, head, 1, 1), 'scratch.output_conv.4.bias': (1,)})
    return layout


TINY = dict(dim=32, depth=4, patch=16, grid=4, channels=(8, 8, 16, 16), features=8)


def _write_tiny_weights(path, seed=0):
    gen = torch.Generator().manual_seed(seed)
    state = {k: 0.2 * torch.randn(shape, generator=gen)
             for k, shape in official_dpt_layout(**TINY).items()}
    torch.save(state, path)
    return state


def test_module_has_exactly_the_dpt_large_layout():
    with torch.device('meta'):
        model = MidasDPT(embed_dim=1024, depth=24, num_heads=16, patch_size=16, img_size=384,
                         hooks=[5, 11, 17, 23], reassemble_channels=(256, 512, 1024, 1024),
                         features=256)
    ours = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    official = official_dpt_layout(1024, 24, 16, 24, (256, 512, 1024, 1024), 256)
    official = {k: v for k, v in official.items() if not k.startswith('pretrained.model.head.')}
    assert ours == official


def test_source_loads_a_written_state_dict_and_estimates_relative_depth(tmp_path):
    path = tmp_path / 'dpt_tiny.pt'
    state = _write_tiny_weights(path)
    source = MidasDepthSource(str(path), num_heads=2)
    image = np.random.default_rng(0).integers(0, 256, (48, 48, 3), dtype=np.uint8)
    depth = LoadDepthCondition(source)(dict(img=image, img_path='x.jpg'))['depth_condition']
    assert depth.shape == (48, 48) and depth.dtype == np.float32
    assert depth.min() == 0.0 and depth.max() == pytest.approx(1.0)
    # the loaded network is the written one: sizes read from the file, every weight used
    model = source.model
    assert model.hooks == [0, 1, 2, 3] and model.img_size == 64
    torch.testing.assert_close(model.scratch.refinenet2.resConfUnit1.conv2.weight,
                               state['scratch.refinenet2.resConfUnit1.conv2.weight'])
    with torch.no_grad():
        out = model(torch.zeros(1, 3, 64, 64))
    assert out.shape == (1, 64, 64) and torch.all(out >= 0)  # non-negative inverse depth
    assert out.std() > 0


def test_missing_file_and_unsupported_models_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match='nothing is downloaded'):
        MidasDepthSource(str(tmp_path / 'dpt_large_384.pt'))
    state = {k: torch.zeros(s) for k, s in official_dpt_layout(**TINY).items()}
    hybrid = dict(state, **{'pretrained.model.patch_embed.backbone.stem.conv.weight':
                            torch.zeros(1)})
    with pytest.raises(ValueError, match='DPT-Hybrid'):
        build_midas_dpt(hybrid)
    broken = {k: v for k, v in state.items() if 'refinenet3.out_conv' not in k}
    with pytest.raises(ValueError, match='refinenet3.out_conv'):
        build_midas_dpt(broken, num_heads=2)

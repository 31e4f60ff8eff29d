"""The fast decoder: diffusion over a coarse subset of the mesh, fixed affine upsampling."""
import math

import pytest
import torch

from diffhand_mm.models.decoders import (CoarseCrossModalityDecoder, affine_upsampling,
                                         farthest_point_sample, geodesic_distances,
                                         nearest_indices)
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples, small_head_cfg

import diffhand_mm.models  # noqa: F401


def _grid_mesh(n=12):
    """A bent n x n grid (metres): a surface whose two halves are far apart along it."""
    ys, xs = torch.meshgrid(torch.arange(n, dtype=torch.float64),
                            torch.arange(n, dtype=torch.float64), indexing='ij')
    vertices = torch.stack([xs.flatten(), ys.flatten(), torch.zeros(n * n, dtype=torch.float64)],
                           -1) * 0.01
    index = torch.arange(n * n).reshape(n, n)
    a, b, c, d = index[:-1, :-1], index[:-1, 1:], index[1:, :-1], index[1:, 1:]
    faces = torch.cat([torch.stack([a, b, c], -1).reshape(-1, 3),
                       torch.stack([b, d, c], -1).reshape(-1, 3)])
    return vertices.float(), faces


def test_upsampling_reproduces_affine_maps_exactly():
    vertices, faces = _grid_mesh()
    # make it a non-planar surface so that 3D affine combinations are needed
    vertices[:, 2] = 0.02 * torch.sin(vertices[:, 0] * 40) * torch.cos(vertices[:, 1] * 30)
    subset = farthest_point_sample(vertices, 40)
    index, weights = affine_upsampling(vertices, faces, subset, num_neighbours=8)
    torch.testing.assert_close(weights.sum(1), torch.ones(len(vertices)))
    rebuild = lambda mesh: (mesh[subset][index] * weights[..., None]).sum(1)  # noqa: E731
    torch.testing.assert_close(rebuild(vertices), vertices, atol=1e-5, rtol=0)
    # any affine map of the template: rotation, anisotropic scale, shear, translation
    gen = torch.Generator().manual_seed(0)
    matrix = torch.eye(3) + 0.3 * torch.randn(3, 3, generator=gen)
    moved = vertices @ matrix.T + torch.tensor([0.1, -0.2, 0.3])
    torch.testing.assert_close(rebuild(moved), moved, atol=1e-5, rtol=0)
    # kept vertices rebuild themselves with weight 1
    assert torch.all(weights[subset, 0] == 1) and torch.all(weights[subset, 1:] == 0)


def test_upsampling_neighbours_follow_the_surface_not_space():
    """A strip folded onto itself: spatially near vertices of the other sheet are far along the
    surface, so no vertex away from the fold takes a neighbour from the other sheet."""
    vertices, faces = _grid_mesh(20)  # 0.19 m x 0.19 m
    folded = vertices.clone()
    far = folded[:, 0] > 0.095
    folded[far, 0] = 0.19 - folded[far, 0]  # fold at x = 0.095 ...
    folded[far, 2] = 0.004  # ... onto a sheet 4 mm above
    distances = geodesic_distances(folded, faces, torch.tensor([0]))
    assert distances.shape == (1, 400) and distances[0, 0] == 0
    subset = farthest_point_sample(vertices, 60)
    index, _ = affine_upsampling(folded, faces, subset, num_neighbours=6)
    away_from_fold = vertices[:, 0] < 0.04  # (unfolded x) more than 5 cm from the fold
    assert (far[subset][index] == far[:, None])[away_from_fold].all()
    # in space, the other sheet is nearer: Euclidean neighbours would mix the sheets
    euclidean = nearest_indices(folded, folded[subset], 6)
    assert not (far[subset][euclidean] == far[:, None])[away_from_fold].all()
    with pytest.raises(ValueError, match='num_neighbours'):
        affine_upsampling(folded, faces, subset, num_neighbours=3)


def test_disconnected_mesh_is_a_clear_error():
    vertices, faces = _grid_mesh(4)
    vertices = torch.cat([vertices, vertices + 1])  # a second, unconnected copy
    faces = torch.cat([faces, faces + 16])
    subset = torch.arange(0, 16, 2)  # all kept vertices on the first copy
    with pytest.raises(ValueError, match='disconnected'):
        affine_upsampling(vertices, faces, subset, num_neighbours=4)


def _coarse_head(**decoder):
    cfg = small_head_cfg(decoder=dict(type='CoarseCrossModalityDecoder', dim=16, num_heads=2,
                                      ffn_ratio=2, num_blocks=2, **decoder))
    return MODELS.build(cfg)


def test_coarse_decoder_denoises_a_quarter_of_the_vertices():
    torch.manual_seed(0)
    head = _coarse_head(signal_rate=4)
    decoder = head.decoder
    assert decoder.num_points == math.ceil(778 / 4) and decoder.num_vertices == 778
    assert decoder.hierarchy.level_sizes == [195, 49, 13]
    # the signal is a subset of the vertices, and the upsampling rebuilds them
    vertices = torch.randn(2, 778, 3)
    signal = decoder.signal_from_vertices(vertices)
    torch.testing.assert_close(signal, vertices[:, decoder.signal_index])
    assert decoder.vertices_from_signal(signal).shape == (2, 778, 3)
    # checkpoints hold no mesh-derived index or weight
    assert not any(k.endswith(('signal_index', 'upsample_index', 'upsample_weights'))
                   for k in head.state_dict())
    with pytest.raises(ValueError, match='template_faces'):
        CoarseCrossModalityDecoder(torch.randn(778, 3), in_channels=8, embed_dim=16)


def test_head_with_the_coarse_decoder_trains_samples_and_predicts_whole_meshes():
    torch.manual_seed(0)
    head = _coarse_head()
    feats = (torch.randn(2, 8, 4, 4), torch.randn(2, 16))
    losses = head.loss(feats, make_data_samples(2))
    sum(losses.values()).backward()
    assert head.decoder.vertex_query.grad is not None
    noise_shapes = []
    original = head.sample_from_noise
    head.sample_from_noise = lambda context, noise, *args: (noise_shapes.append(noise.shape),
                                                            original(context, noise, *args))[1]
    head.eval()
    samples = head.sample_vertices(feats, num_hypotheses=3, sampling_steps=2)
    assert noise_shapes == [(6, 195, 3)]  # the diffusion runs on the coarse points
    assert samples.shape == (2, 3, 778, 3)
    preds = head.predict(feats, make_data_samples(2), dict(sampling_steps=2))
    assert preds[0].vertices.shape == (1, 778, 3)

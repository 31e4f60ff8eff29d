import torch

from diffhand_mm.models.decoders import VertexHierarchy, farthest_point_sample, nearest_indices


def test_fps_hand_computed_on_a_line():
    points = torch.tensor([[float(x), 0.0, 0.0] for x in range(11)])
    # From 0: the farthest is 10, then 5 (distance 5 to both), then 2 (first of the ties 2/3/7/8).
    assert farthest_point_sample(points, 4, start_index=0).tolist() == [0, 10, 5, 2]


def test_fps_is_deterministic_and_spreads_points():
    points = torch.rand(778, 3, generator=torch.Generator().manual_seed(0))
    first = farthest_point_sample(points, 195)
    assert torch.equal(first, farthest_point_sample(points, 195))
    assert first[0] == 0 and len(set(first.tolist())) == 195

    def min_pairwise(idx):
        dist = torch.cdist(points[idx], points[idx])
        return dist[~torch.eye(len(idx), dtype=torch.bool)].min()

    random_idx = torch.randperm(778, generator=torch.Generator().manual_seed(1))[:195]
    assert min_pairwise(first) > 2 * min_pairwise(random_idx)


def test_hierarchy_level_sizes_and_maps():
    template = torch.rand(778, 3, generator=torch.Generator().manual_seed(0))
    hierarchy = VertexHierarchy(template, sample_rate=4, num_levels=2, group_size=8)
    assert hierarchy.level_sizes == [778, 195, 49]
    points = template
    for level in (1, 2):
        sample_idx, group_idx, upsample_idx = hierarchy.level(level)
        assert group_idx.shape == (hierarchy.level_sizes[level], 8)
        # each sampled point is its own nearest neighbour, both ways
        assert torch.equal(group_idx[:, 0], sample_idx)
        assert torch.equal(upsample_idx[sample_idx], torch.arange(len(sample_idx)))
        coarse = points[sample_idx]
        assert torch.equal(upsample_idx, nearest_indices(points, coarse, 1)[:, 0])
        points = coarse
    assert hierarchy.state_dict() == {}

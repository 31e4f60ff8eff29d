"""Tiny stand-ins shared by the head and estimator tests (not part of the package).

``StandInHand`` has the hand-model interface the head uses (``v_template`` (778,3),
``faces``, ``joint_regressor_21()``) on a random hand-sized point cloud, so the tests do not
depend on the hand-model package; ``TinyEncoder`` has the ``TimmEncoder`` interface.
"""
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample
from torch import nn

from diffhand_mm.registry import MODELS

NUM_VERTICES = 778


@MODELS.register_module(force=True)
class StandInHand(nn.Module):
    """Random hand-sized mesh: V=778 points in a 0.18 x 0.08 x 0.03 m box, strip faces."""

    def __init__(self, seed: int = 0) -> None:
        super().__init__()
        gen = torch.Generator().manual_seed(seed)
        box = torch.tensor([0.18, 0.08, 0.03])
        template = (torch.rand(NUM_VERTICES, 3, generator=gen) - 0.5) * box
        index = torch.arange(NUM_VERTICES - 2)
        self.register_buffer('v_template', template)
        self.register_buffer('faces', torch.stack([index, index + 1, index + 2], dim=1))
        weights = torch.zeros(21, NUM_VERTICES)
        for j in range(21):  # each joint: mean of 4 fixed vertices
            weights[j, torch.randperm(NUM_VERTICES, generator=gen)[:4]] = 0.25
        self.register_buffer('regressor', weights)

    def joint_regressor_21(self) -> torch.Tensor:
        return self.regressor


@MODELS.register_module(force=True)
class TinyEncoder(nn.Module):
    """Stride-16 conv -> feature map (B,8,h,w); pooled linear -> embedding (B,16)."""

    feature_channels = 8
    embed_dim = 16

    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(3, self.feature_channels, 16, stride=16)
        self.fc = nn.Linear(self.feature_channels, self.embed_dim)
        self.num_calls = 0

    def forward(self, x):
        self.num_calls += 1
        feature_map = self.conv(x)
        return feature_map, self.fc(feature_map.mean((2, 3)))


def make_data_samples(batch: int = 2, size: int = 64, has_vertices=None, seed: int = 0):
    """PoseDataSamples with consistent labels from the stand-in hand, posed at z = 0.5 m."""
    hand = StandInHand()
    gen = torch.Generator().manual_seed(seed)
    cam_K = torch.tensor([[150.0, 0, size / 2 - 0.5], [0, 150.0, size / 2 - 0.5], [0, 0, 1]])
    samples = []
    for i in range(batch):
        vertices = hand.v_template + 0.005 * torch.randn(NUM_VERTICES, 3, generator=gen)
        vertices = vertices + torch.tensor([0.01 * i, -0.01, 0.5])
        joints = hand.regressor @ vertices
        pixels = (joints @ cam_K.T)[:, :2] / joints[:, 2:]
        flag = 1.0 if has_vertices is None else float(has_vertices[i])
        sample = PoseDataSample(metainfo=dict(img_path=f'img{i}.jpg', input_size=(size, size),
                                              cam_K=cam_K.numpy()))
        sample.gt_instances = InstanceData(vertices=(vertices * flag)[None],
                                           has_vertices=torch.tensor([flag]),
                                           joints_3d=joints[None], joints_2d=pixels[None],
                                           cam_K=cam_K[None])
        samples.append(sample)
    return samples


def small_head_cfg(**overrides) -> dict:
    """A DiffusionMeshHead config small enough for CPU tests."""
    cfg = dict(type='DiffusionMeshHead', in_channels=TinyEncoder.feature_channels,
               embed_dim=TinyEncoder.embed_dim, hand_model=dict(type='StandInHand'),
               decoder=dict(type='CrossModalityDecoder', dim=16, num_heads=2, ffn_ratio=2),
               sampling_steps=2)
    cfg.update(overrides)
    return cfg

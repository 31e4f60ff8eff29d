"""Tiny runner components for testing the tools (train/test/resume/distributed) in seconds.

They live under tests/ on purpose: they are not part of the package. Configs reach them with
``custom_imports=dict(imports=['tests.data.toy_components'])`` and the repository root on the path.
"""
import json
import os.path as osp

import torch
from mmengine.dataset import BaseDataset
from mmengine.dist import get_rank
from mmengine.evaluator import BaseMetric
from mmengine.hooks import Hook
from mmengine.model import BaseModel
from torch import nn

from diffhand_mm.registry import DATASETS, HOOKS, METRICS, MODELS


@MODELS.register_module()
class ToyRegressor(BaseModel):
    """Linear regression from a 4-vector to a scalar target."""

    def __init__(self, init_cfg=None):
        super().__init__(init_cfg=init_cfg)
        self.linear = nn.Linear(4, 1)
        # The same start under every runner and strategy, whatever the RNG has done before.
        with torch.no_grad():
            self.linear.weight.copy_(torch.tensor([[0.1, -0.2, 0.3, -0.4]]))
            self.linear.bias.zero_()

    def forward(self, inputs, targets=None, sample_idx=None, mode='tensor', **kwargs):
        x = torch.stack(inputs) if isinstance(inputs, (list, tuple)) else inputs
        y = self.linear(x).squeeze(1)
        if mode == 'loss':
            target = torch.stack(targets) if isinstance(targets, (list, tuple)) else targets
            return dict(loss_mse=((y - target) ** 2).mean())
        if mode == 'predict':
            return [dict(pred=float(p), sample_idx=int(i)) for p, i in zip(y, sample_idx)]
        return y


@DATASETS.register_module()
class ToyLinearDataset(BaseDataset):
    """``num_samples`` fixed random inputs with targets from a fixed linear map; the target of
    sample ``nan_sample`` (if given) is NaN, as a corrupt label."""

    def __init__(self, num_samples=16, nan_sample=None, **kwargs):
        self.num_samples = num_samples
        self.nan_sample = nan_sample
        super().__init__(serialize_data=False, **kwargs)

    def load_data_list(self):
        gen = torch.Generator().manual_seed(1234)
        weights = torch.tensor([0.5, -1.0, 2.0, 0.25])
        items = []
        for i in range(self.num_samples):
            x = torch.randn(4, generator=gen)
            target = torch.tensor(float('nan')) if i == self.nan_sample else (x * weights).sum()
            items.append(dict(inputs=x, targets=target))
        return items


@HOOKS.register_module()
class RankRecorderHook(Hook):
    """Writes ``rank_<r>.json`` to the work dir: how many iterations this rank trained, on
    which samples, and which runner and model wrapper ran them."""

    def __init__(self):
        self.iterations = 0
        self.seen_samples = []

    def after_train_iter(self, runner, batch_idx, data_batch=None, outputs=None):
        self.iterations += 1
        self.seen_samples.extend(int(i) for i in data_batch['sample_idx'])

    def after_train(self, runner):
        with open(osp.join(runner.work_dir, f'rank_{get_rank()}.json'), 'w') as f:
            json.dump(dict(iterations=self.iterations, seen_samples=self.seen_samples,
                           runner=type(runner).__name__, wrapper=type(runner.model).__name__), f)


@METRICS.register_module()
class GatheredSamplesMetric(BaseMetric):
    """Records, on the rank that computes metrics, which samples were gathered."""

    def __init__(self, out_file, **kwargs):
        super().__init__(**kwargs)
        self.out_file = out_file

    def process(self, data_batch, data_samples):
        self.results.extend(data_samples)

    def compute_metrics(self, results):
        ids = [r['sample_idx'] for r in results]
        # Append, so a second call (metrics computed twice) would show up in the file.
        with open(self.out_file, 'a') as f:
            f.write(json.dumps(dict(rank=get_rank(), sample_ids=ids)) + '\n')
        return dict(num_gathered=len(ids))

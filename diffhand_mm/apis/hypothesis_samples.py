"""K diffusion hypotheses per test image, kept for analysis (selection rules, uncertainty).

Sampling is the expensive part of every hypothesis analysis (K x steps decoder passes per
image); :func:`sample_hypotheses` does it once and :func:`save_samples` / :func:`load_samples`
let several analyses share one run.
"""
import argparse
import os.path as osp
import time
from typing import Callable, NamedTuple, Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from torch import Tensor

from diffhand_mm.evaluation.functional import point_errors, procrustes_align
from diffhand_mm.registry import DATASETS
from diffhand_mm.utils.cli import add_debug_argument
from diffhand_mm.utils.setup_env import register_all_modules
from .inferencer import init_model


class HypothesisSamples(NamedTuple):
    """Hypotheses and ground truth of N images, root-relative (regressed wrist at 0), metres.

    Attributes:
        hypotheses: (N, K, V, 3) float32.
        gt_vertices: (N, V, 3) float32, relative to the ground-truth wrist.
        gt_joints: (N, 21, 3) float32, relative to the ground-truth wrist.
        feature_map: (N, C, h, w) float32, the encoder's output (for image-reading selectors).
        embedding: (N, D) float32.
        steps: DDIM steps the hypotheses were sampled with.
    """
    hypotheses: Tensor
    gt_vertices: Tensor
    gt_joints: Tensor
    feature_map: Tensor
    embedding: Tensor
    steps: int

    @property
    def feats(self):
        """(feature_map, embedding), as the head takes them."""
        return self.feature_map, self.embedding


@torch.no_grad()
def sample_hypotheses(model, dataset, num_hypotheses: int, steps: Optional[int] = None,
                      batch_size: int = 8, seed: int = 0, log_every: int = 0
                      ) -> HypothesisSamples:
    """Sample ``num_hypotheses`` meshes per image of ``dataset`` with ``model`` (eval mode).

    Args:
        model: A ``DiffHand``.
        dataset: Test-pipeline samples with ground-truth vertices and joints.
        num_hypotheses: K.
        steps: DDIM steps (default: the head's).
        batch_size: Images per forward pass.
        seed: Seed of the initial noise (``torch.manual_seed`` before sampling).
        log_every: Print progress every this many batches (0: never).

    Returns:
        HypothesisSamples: root-relative hypotheses (the head's ``root_relative``) and ground
        truth relative to its own wrist.
    """
    model.eval()
    head = model.head
    torch.manual_seed(seed)
    parts = {name: [] for name in HypothesisSamples._fields if name != 'steps'}
    start_time = time.time()
    for number, start in enumerate(range(0, len(dataset), batch_size)):
        batch = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        data = model.data_preprocessor(pseudo_collate(batch), False)
        feature_map, embedding = model.extract_feat(data['inputs'])
        hypotheses = head.sample_vertices((feature_map, embedding), num_hypotheses, steps)
        hypotheses = head.root_relative(hypotheses.flatten(0, 1)).reshape(hypotheses.shape)
        joints = torch.stack([s.gt_instances.joints_3d[0] for s in data['data_samples']])
        vertices = torch.stack([s.gt_instances.vertices[0] for s in data['data_samples']])
        parts['hypotheses'].append(hypotheses.float())
        parts['gt_joints'].append((joints - joints[:, :1]).float())
        parts['gt_vertices'].append((vertices - joints[:, :1]).float())
        parts['feature_map'].append(feature_map.float())
        parts['embedding'].append(embedding.float())
        if log_every and (number + 1) % log_every == 0:
            print(f'sampled {start + len(batch)}/{len(dataset)} images '
                  f'({time.time() - start_time:.0f} s)', flush=True)
    return HypothesisSamples(**{k: torch.cat(v) for k, v in parts.items()},
                             steps=steps if steps is not None else head.sampling_steps)


def save_samples(samples: HypothesisSamples, path: str) -> None:
    """Write samples to ``path`` (torch.save of plain tensors)."""
    torch.save(samples._asdict(), path)


def load_samples(path: str) -> HypothesisSamples:
    """Read what :func:`save_samples` wrote."""
    data = torch.load(path, map_location='cpu', weights_only=True)
    missing = set(HypothesisSamples._fields) - set(data)
    if missing:
        raise KeyError(f'{path}: not a hypothesis-samples file (missing {sorted(missing)})')
    return HypothesisSamples(**{k: data[k] for k in HypothesisSamples._fields})


def pa_joint_errors(gt_joints: np.ndarray, joints: np.ndarray) -> np.ndarray:
    """Per-image PA-MPJPE (N,) in millimetres (official Procrustes alignment per image)."""
    return point_errors(gt_joints, procrustes_align(gt_joints, joints)).mean(-1) * 1000.0


def hypothesis_test_set(test_pipeline: Sequence[dict], num_samples: int,
                        data_root: Optional[str] = None, seed: int = 1):
    """Test images for hypothesis analyses: the evaluation split of a FreiHAND-layout folder
    (e.g. written by ``make_synthhand.py``), its first ``num_samples``; without a folder,
    SynthHand's evaluation stream of ``seed`` rendered on the fly."""
    if data_root is not None:
        return DATASETS.build(dict(type='FreiHANDDataset', data_root=data_root,
                                   split='evaluation', test_mode=True, indices=num_samples,
                                   pipeline=test_pipeline))
    return DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=num_samples,
                               seed=seed, split='evaluation', pipeline=test_pipeline))


def load_or_sample(model, make_dataset: Callable, path: Optional[str], num_hypotheses: int,
                   steps: Optional[int] = None, batch_size: int = 8) -> HypothesisSamples:
    """The samples in ``path`` when it exists; else sample ``make_dataset()`` (and save them
    to ``path`` when given)."""
    if path and osp.isfile(path):
        return load_samples(path)
    samples = sample_hypotheses(model, make_dataset(), num_hypotheses, steps, batch_size,
                                log_every=5)
    if path:
        save_samples(samples, path)
    return samples


def add_sampling_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The command-line arguments the hypothesis analysis tools share (model, test images,
    sampling, ``--samples-file``); read back with :func:`model_and_samples_from_args`."""
    parser.add_argument('config')
    parser.add_argument('checkpoint')
    parser.add_argument('--data-root', help='FreiHAND-layout folder (evaluation split); '
                        'default: SynthHand rendered on the fly')
    parser.add_argument('--seed', type=int, default=1,
                        help='SynthHand seed of the on-the-fly images (1: unseen in training)')
    parser.add_argument('--num-samples', type=int, default=200)
    parser.add_argument('--hypotheses', type=int, default=8)
    parser.add_argument('--steps', type=int, default=None, help='DDIM steps (config default)')
    parser.add_argument('--batch-size', type=int, default=8)
    parser.add_argument('--samples-file', help='reuse these hypotheses if the file exists, '
                        'else sample and save them there')
    parser.add_argument('--threads', type=int, default=1, help='torch threads')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, e.g. model.head.hypothesis_selector.type=...')
    add_debug_argument(parser)
    return parser


def model_and_samples_from_args(args: argparse.Namespace):
    """The config's model (``--cfg-options`` merged) with the checkpoint's weights, in eval
    mode, and its :class:`HypothesisSamples` on :func:`hypothesis_test_set`
    (``--samples-file`` reused when it exists). Sets the torch threads.

    Returns:
        tuple: (model, samples).
    """
    torch.set_num_threads(args.threads)
    register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model, cfg = init_model(cfg, args.checkpoint)
    samples = load_or_sample(
        model, lambda: hypothesis_test_set(cfg.test_pipeline, args.num_samples, args.data_root,
                                           args.seed),
        args.samples_file, args.hypotheses, args.steps, args.batch_size)
    return model, samples

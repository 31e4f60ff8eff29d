"""Fit a learned hypothesis selector on a trained DiffHand's frozen image features.

The model (encoder, decoder, camera) is loaded and frozen; the training split is read once
through the config's *test* pipeline (the crops the selector will see), the selector's image
features are cached, and only the selector is trained (``selector.loss``: AdamW, cosine
schedule). The output is the input checkpoint with the selector's weights in its state dict,
so the same config loads it. The last ``--val-fraction`` of the samples are held out and
their joint-evidence error is printed.

Example:
    python tools/fit_hypothesis_selector.py configs/diffhand_tiny_synthhand.py \\
        checkpoints/diffhand_tiny_synthhand.pth --out work_dirs/selector.pth \\
        --cfg-options train_dataloader.dataset.data_root=data/synthhand \\
        model.head.hypothesis_selector.type=JointEvidenceSelector
"""
import argparse
import os
import os.path as osp
import time
from typing import Dict, Tuple

import torch
from mmengine.config import Config, DictAction
from mmengine.dataset import pseudo_collate
from torch import Tensor

import diffhand_mm
from diffhand_mm.engine import load_checkpoint_strictly
from diffhand_mm.registry import DATASETS, MODELS
from diffhand_mm.utils.cli import InputError, add_debug_argument, run_tool


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help='trained model (its selector weights may be absent)')
    parser.add_argument('--out', required=True, help='checkpoint to write')
    parser.add_argument('--epochs', type=int, default=20)
    parser.add_argument('--batch-size', type=int, default=256)
    parser.add_argument('--lr', type=float, default=1e-3)
    parser.add_argument('--weight-decay', type=float, default=1e-2)
    parser.add_argument('--num-samples', type=int, default=None,
                        help='use the first N training samples (default: all)')
    parser.add_argument('--val-fraction', type=float, default=0.05)
    parser.add_argument('--feature-batch-size', type=int, default=64)
    parser.add_argument('--threads', type=int, default=1, help='torch threads')
    parser.add_argument('--seed', type=int, default=0)
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='config overrides, e.g. train_dataloader.dataset.data_root=DIR')
    add_debug_argument(parser)
    return parser.parse_args(argv)


def load_frozen_model(cfg: Config, checkpoint: str, config_name: str):
    """Build the model, load the checkpoint strictly except for the selector's weights (which
    a model trained before it was fitted may lack), freeze all but the selector.

    Returns:
        tuple: (model, checkpoint dict).
    """
    model = MODELS.build(cfg.model)
    selector = model.head.hypothesis_selector
    if not hasattr(selector, 'loss'):
        raise InputError(f'{config_name}: {type(selector).__name__} has nothing to fit; set '
                         'model.head.hypothesis_selector.type=JointEvidenceSelector')
    ckpt = load_checkpoint_strictly(model, checkpoint, cfg.model, config_name=config_name,
                                    allowed_missing=[r'^head\.hypothesis_selector\.'])
    model.eval().requires_grad_(False)
    selector.requires_grad_(True)
    return model, ckpt


@torch.no_grad()
def cache_features(model, dataset, batch_size: int) -> Tuple[Tensor, Tensor]:
    """Selector features (N, F) and ground-truth joints (N, 21, 3) metres of a dataset."""
    selector = model.head.hypothesis_selector
    features, joints = [], []
    start_time = time.time()
    for start in range(0, len(dataset), batch_size):
        batch = [dataset[i] for i in range(start, min(start + batch_size, len(dataset)))]
        data = model.data_preprocessor(pseudo_collate(batch), False)
        features.append(selector.image_features(model.extract_feat(data['inputs'])))
        joints += [s.gt_instances.joints_3d[0] for s in data['data_samples']]
        if start // batch_size % 50 == 0:
            print(f'features {start + len(batch)}/{len(dataset)} '
                  f'({time.time() - start_time:.0f} s)', flush=True)
    return torch.cat(features), torch.stack(joints).float()


def fit(selector, features: Tensor, joints: Tensor, epochs: int, batch_size: int, lr: float,
        weight_decay: float, val_fraction: float, seed: int) -> Dict[str, float]:
    """Train ``selector.loss`` on cached features; returns the last train loss and the held-out
    evidence error (mm)."""
    generator = torch.Generator().manual_seed(seed)
    num_val = int(round(len(features) * val_fraction))
    num_train = len(features) - num_val
    if num_train < batch_size:
        raise ValueError(f'{num_train} training samples, fewer than one batch of {batch_size}')
    steps_per_epoch = num_train // batch_size
    optimizer = torch.optim.AdamW([p for p in selector.parameters() if p.requires_grad], lr=lr,
                                  weight_decay=weight_decay)
    scheduler = torch.optim.lr_scheduler.OneCycleLR(optimizer, lr,
                                                    total_steps=epochs * steps_per_epoch)
    result = {}
    for epoch in range(epochs):
        selector.train()
        order = torch.randperm(num_train, generator=generator)
        total = 0.0
        for step in range(steps_per_epoch):
            index = order[step * batch_size:(step + 1) * batch_size]
            loss = selector.loss(features[index], joints[index])['loss_evidence']
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            scheduler.step()
            total += loss.item()
        result = dict(train_loss=total / steps_per_epoch)
        if num_val:
            selector.eval()
            with torch.no_grad():
                result['val_error_mm'] = float(selector.loss(
                    features[num_train:], joints[num_train:])['evidence_error'])
        print(f'epoch {epoch + 1}/{epochs}: ' +
              ', '.join(f'{k} {v:.3f}' for k, v in result.items()), flush=True)
    selector.eval()
    selector.fitted.fill_(True)
    return result


def main(argv=None) -> Dict[str, float]:
    args = parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    diffhand_mm.register_all_modules()
    cfg = Config.fromfile(args.config)
    if args.cfg_options:
        cfg.merge_from_dict(args.cfg_options)
    model, ckpt = load_frozen_model(cfg, args.checkpoint, args.config)
    dataset_cfg = dict(cfg.train_dataloader.dataset, pipeline=cfg.test_pipeline, test_mode=True)
    if args.num_samples is not None:
        dataset_cfg['indices'] = args.num_samples
    dataset = DATASETS.build(dataset_cfg)
    features, joints = cache_features(model, dataset, args.feature_batch_size)
    selector = model.head.hypothesis_selector
    result = fit(selector, features, joints, args.epochs, args.batch_size, args.lr,
                 args.weight_decay, args.val_fraction, args.seed)
    ckpt['state_dict'] = model.state_dict()
    ckpt.setdefault('meta', {})['hypothesis_selector'] = dict(
        type=type(selector).__name__, samples=len(dataset), epochs=args.epochs, **result)
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save(ckpt, args.out)
    print(f'wrote {args.out}')
    return result


if __name__ == '__main__':
    run_tool(main)

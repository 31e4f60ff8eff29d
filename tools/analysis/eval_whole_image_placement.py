"""Where a checkpoint puts the hand when the whole image is the crop (the demo's default).

Runs :class:`~diffhand_mm.apis.MeshInferencer` with no box on unseen SynthHand images rendered
on the fly (with their true intrinsics K) and reports, per image then averaged: the mean 2D
joint error in image pixels (predicted ``joints_2d`` against the ground-truth joints projected
with K) and the root (wrist) depth error in millimetres. Shapes are not aligned first: this is
what an overlay shows.

Example:
    python tools/analysis/eval_whole_image_placement.py configs/diffhand_tiny_synthhand.py \\
        checkpoints/diffhand_tiny_synthhand.pth --num-samples 16 --steps 10
    python tools/analysis/eval_whole_image_placement.py configs/diffhand_tiny_synthhand.py \\
        random    # an untrained model, for reference
"""
import argparse
from typing import Dict, Optional

import numpy as np
import torch
from torch import nn

from diffhand_mm.registry import DATASETS
from diffhand_mm.utils.cli import add_debug_argument, run_tool


def whole_image_errors(model: nn.Module, num_samples: int = 8, seed: int = 1,
                       steps: Optional[int] = None) -> Dict[str, float]:
    """Placement errors of ``model`` on ``num_samples`` SynthHand 'evaluation' images.

    Args:
        model: A built DiffHand (weights loaded), used as given.
        num_samples: Images, the first ones of the stream of ``seed``.
        seed: SynthHand seed (1: never seen by the project's checkpoints).
        steps: DDIM steps; None keeps the model's ``test_cfg`` (a number is written into
            ``model.test_cfg``, as :class:`MeshInferencer` does).

    Returns:
        dict: ``joints_2d_px`` (mean over images of the mean joint error, pixels),
        ``joints_2d_px_median`` (median over images) and ``root_depth_mm``.
    """
    from diffhand_mm.apis import MeshInferencer
    import diffhand_mm
    diffhand_mm.register_all_modules(init_default_scope=False)
    dataset = DATASETS.build(dict(type='SynthHandOnlineDataset', num_samples=num_samples,
                                  seed=seed, split='evaluation', pipeline=[]))
    inferencer = MeshInferencer(model, show_progress=False, sampling_steps=steps)
    joint_errors, depth_errors = [], []
    for i in range(len(dataset)):
        sample = dataset[i]
        K = np.asarray(sample['K'], dtype=np.float64)
        hand = inferencer(sample['img'], K=K)[0].hands[0]
        uvw = np.asarray(sample['joints_3d'], dtype=np.float64) @ K.T
        joint_errors.append(np.linalg.norm(hand.joints_2d - uvw[:, :2] / uvw[:, 2:],
                                           axis=-1).mean())
        depth_errors.append(abs(float(hand.joints[0, 2]) - float(sample['joints_3d'][0, 2])))
    return dict(joints_2d_px=float(np.mean(joint_errors)),
                joints_2d_px_median=float(np.median(joint_errors)),
                root_depth_mm=1000 * float(np.mean(depth_errors)))


def main(argv=None) -> Dict[str, float]:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config')
    parser.add_argument('checkpoint', help="checkpoint path, or 'random' for random weights")
    parser.add_argument('--num-samples', type=int, default=16)
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--steps', type=int, default=None)
    add_debug_argument(parser)
    args = parser.parse_args(argv)

    from diffhand_mm.apis.inferencer import init_model
    torch.manual_seed(0)
    model, _ = init_model(args.config, None if args.checkpoint == 'random' else args.checkpoint)
    errors = whole_image_errors(model, args.num_samples, args.seed, args.steps)
    print(f'{args.checkpoint}: {args.num_samples} images, 2D joint error '
          f"{errors['joints_2d_px']:.1f} px (median {errors['joints_2d_px_median']:.1f}), "
          f"root depth error {errors['root_depth_mm']:.0f} mm")
    return errors


if __name__ == '__main__':
    run_tool(main)

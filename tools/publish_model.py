"""Strip a training checkpoint for release: keep the weights and metadata, drop the
optimizer, schedulers and message hub (MMPose's publish_model, without the hash suffix).

Example:
    python tools/publish_model.py work_dirs/tiny/iter_300.pth checkpoints/diffhand_tiny.pth
    # only some modules, e.g. to initialise another model's encoder and camera from them
    python tools/publish_model.py checkpoints/diffhand_tiny_synthhand.pth init.pth \
        --keep backbone. head.camera_head.
"""
import argparse
import os.path as osp
from typing import Optional, Sequence

import torch

from diffhand_mm.engine import load_local_checkpoint
from diffhand_mm.utils.atomic_io import atomic_open
from diffhand_mm.utils.cli import add_debug_argument, run_tool

KEEP = ('state_dict', 'meta')


def publish(in_file: str, out_file: str, keep: Optional[Sequence[str]] = None) -> dict:
    """Write ``out_file`` with only the weights and metadata of ``in_file``.

    Args:
        in_file: MMEngine checkpoint.
        out_file: Where to write.
        keep: Key prefixes of the weights to keep (None: all); nothing matching is an error.

    Raises:
        KeyError: not an MMEngine checkpoint, or no weight starts with a ``keep`` prefix.

    Returns:
        dict: ``{'parameters': int, 'bytes': int}`` of the published file.
    """
    checkpoint = load_local_checkpoint(in_file, map_location='cpu')
    if 'state_dict' not in checkpoint:
        raise KeyError(f'{in_file}: not an MMEngine checkpoint (no "state_dict")')
    # 'hypothesis_selector': what tools/fit_hypothesis_selector.py fitted (samples, error).
    meta = {k: v for k, v in checkpoint.get('meta', {}).items()
            if k in ('epoch', 'iter', 'cfg', 'seed', 'experiment_name', 'mmengine_version',
                     'hypothesis_selector')}
    state_dict = checkpoint['state_dict']
    if keep is not None:
        state_dict = {k: v for k, v in state_dict.items() if k.startswith(tuple(keep))}
        if not state_dict:
            raise KeyError(f'{in_file}: no weight starts with any of {list(keep)}')
    published = dict(state_dict=state_dict, meta=meta)
    with atomic_open(out_file, 'wb') as f:  # never a half-written release file
        torch.save(published, f)
    return dict(parameters=sum(v.numel() for v in state_dict.values()),
                bytes=osp.getsize(out_file))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument('in_file', help='training checkpoint')
    parser.add_argument('out_file', help='published checkpoint')
    parser.add_argument('--keep', nargs='+', metavar='PREFIX',
                        help='keep only the weights whose names start with these prefixes')
    add_debug_argument(parser)
    args = parser.parse_args()
    info = publish(args.in_file, args.out_file, args.keep)
    print(f'{args.out_file}: {info["parameters"]:,} values, {info["bytes"] / 1e6:.1f} MB')


if __name__ == '__main__':
    run_tool(main)

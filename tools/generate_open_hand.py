"""Generate the open hand template ``diffhand_mm/hand/assets/open_hand_right.npz``.

Deterministic: the geometry is procedural and the pose PCA is fitted on poses drawn with a
fixed seed. Usage::

    python tools/generate_open_hand.py [--out PATH] [--num-pca-poses 4096] \
        [--figure docs/images/open_hand_samples.png]

``--figure`` also draws the template and sampled poses of the written file.
"""
import argparse
import os.path as osp

import numpy as np
import torch

from diffhand_mm.hand.hand_model import HandModel
from diffhand_mm.hand.open_hand import DEFAULT_ASSET
from diffhand_mm.hand.open_hand_builder import PARENTS, build_mesh, skeleton_joints
from diffhand_mm.hand.open_hand_rigging import (SHAPE_NAMES, joint_regressor, shape_blend_shapes,
                                                skinning_weights)
from diffhand_mm.hand.pose_sampler import HandPoseSampler
from diffhand_mm.utils.cli import add_debug_argument, run_tool


def build_arrays(num_pca_poses: int, seed: int = 0) -> dict:
    """All arrays of the template file (float64 / int64 before storage)."""
    mesh = build_mesh()
    vertices, joints = mesh['vertices'], skeleton_joints()
    weights = skinning_weights(mesh)
    regressor = joint_regressor(vertices, joints)
    tips = vertices[mesh['fingertip_ids']]
    arrays = dict(v_template=vertices, faces=mesh['faces'], skinning_weights=weights,
                  shapedirs=shape_blend_shapes(vertices, weights, joints, tips),
                  joint_regressor=regressor, parents=np.array(PARENTS),
                  fingertip_ids=mesh['fingertip_ids'],
                  pca_components=np.eye(45), pca_mean=np.zeros(45))
    model = HandModel(**arrays, posedirs=np.zeros((len(vertices), 3, 135)))
    poses = HandPoseSampler(model)(num_pca_poses, seed=seed)[:, 1:].reshape(-1, 45).double()
    mean = poses.mean(0)
    _, _, components = torch.linalg.svd(poses - mean, full_matrices=False)
    arrays['pca_components'] = components.numpy()
    arrays['pca_mean'] = mean.numpy()
    return arrays


def draw_samples(asset: str, path: str, num: int = 5, seed: int = 7):
    """Save the rest template and ``num`` sampled poses as a matplotlib figure."""
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt

    from diffhand_mm.hand import HandPoseSampler, OpenHandModel
    model = OpenHandModel(asset_path=asset)
    poses = torch.cat([torch.zeros(1, 16, 3), HandPoseSampler(model)(num, seed=seed)])
    with torch.no_grad():
        vertices = model(pose=poses).vertices.numpy()
    faces = model.faces.numpy()
    fig = plt.figure(figsize=(4 * len(poses) / 2, 8))
    for i, verts in enumerate(vertices):
        ax = fig.add_subplot(2, len(poses) // 2, i + 1, projection='3d')
        ax.plot_trisurf(verts[:, 0], verts[:, 1], verts[:, 2], triangles=faces,
                        color='burlywood', edgecolor='k', linewidth=0.05)
        ax.view_init(elev=25, azim=-65)
        ax.set_box_aspect(np.ptp(verts, 0))
        ax.set_title('template (rest pose)' if i == 0 else f'sample {i}')
        ax.set_xlabel('x'), ax.set_ylabel('y'), ax.set_zlabel('z')
        ax.tick_params(labelsize=6)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    print(f'wrote {path}')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=DEFAULT_ASSET)
    parser.add_argument('--num-pca-poses', type=int, default=4096)
    parser.add_argument('--figure', help='also save a picture of sampled hands here')
    add_debug_argument(parser)
    args = parser.parse_args()
    torch.set_num_threads(1)
    arrays = build_arrays(args.num_pca_poses)
    np.savez_compressed(
        args.out,
        v_template=arrays['v_template'].astype(np.float32),
        faces=arrays['faces'].astype(np.int16),
        skinning_weights=arrays['skinning_weights'].astype(np.float32),
        shapedirs=arrays['shapedirs'].astype(np.float32),
        joint_regressor=arrays['joint_regressor'].astype(np.float32),
        parents=arrays['parents'].astype(np.int8),
        fingertip_ids=arrays['fingertip_ids'].astype(np.int16),
        pca_components=arrays['pca_components'].astype(np.float32),
        pca_mean=arrays['pca_mean'].astype(np.float32),
        shape_names=np.array(SHAPE_NAMES))
    print(f'wrote {args.out} ({osp.getsize(args.out) / 1024:.0f} KiB)')
    if args.figure:
        draw_samples(args.out, args.figure)


if __name__ == '__main__':
    run_tool(main)

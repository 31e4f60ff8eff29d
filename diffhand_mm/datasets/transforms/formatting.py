"""Packing a results dict into the model's inputs and a PoseDataSample."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from diffhand_mm.registry import TRANSFORMS
from diffhand_mm.structures import input_to_original_pixels

NUM_VERTICES = 778


@TRANSFORMS.register_module()
class PackHandInputs(BaseTransform):
    """Pack the results dict into ``{'inputs', 'data_samples'}`` (docs/architecture.md s. 4).

    ``inputs``: uint8 tensor (3,H,W), BGR as loaded. ``data_samples``: a ``PoseDataSample``
    whose ``gt_instances`` holds one instance with float32 tensors ``vertices`` (1,778,3)
    (zeros when the sample has no mesh), ``has_vertices`` (1,), ``joints_3d`` (1,21,3),
    ``joints_2d`` (1,21,2) (``joints_3d`` projected with the final K, i.e. input pixels) and
    ``cam_K`` (1,3,3). Its metainfo holds ``meta_keys`` plus ``cam_K`` (3,3); keys a pipeline
    did not set get neutral values (``ori_K`` = ``K``, identity ``crop_affine``,
    ``flipped=False``, ``input_size`` = image size).

    ``gt_instances`` also carries MMPose's fields, numpy float32 as MMPose packs them, so that
    MMPose's metrics (``PCKAccuracy``, ``AUC``, ``EPE``) read our samples unchanged:
    ``keypoints`` (1,21,2) pixels of the *original* image (``joints_2d`` mapped back through
    ``crop_affine``), ``keypoints_visible`` (1,21) (1 where the joint is labelled, i.e. finite)
    and ``bboxes`` (1,4) the hand box x1,y1,x2,y2 in the original image (``ori_bbox`` as the
    first geometric transform found it, else ``bbox``).

    Args:
        meta_keys: results keys copied into the metainfo.
    """

    def __init__(self, meta_keys: Sequence[str] = ('img_path', 'sample_id', 'dataset_name',
                                                   'input_size', 'ori_K', 'crop_affine',
                                                   'hand_side', 'flipped', 'ori_shape')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        img = results['img']
        height, width = img.shape[:2]
        K = np.asarray(results['K'], dtype=np.float32)
        joints_3d = np.asarray(results['joints_3d'], dtype=np.float32)
        uvw = joints_3d.astype(np.float64) @ K.astype(np.float64).T
        joints_2d = (uvw[:, :2] / uvw[:, 2:3]).astype(np.float32)
        vertices = results.get('vertices_3d')
        has_vertices = vertices is not None
        if not has_vertices:
            vertices = np.zeros((NUM_VERTICES, 3), dtype=np.float32)

        gt = InstanceData()
        gt.vertices = torch.from_numpy(np.asarray(vertices, dtype=np.float32)[None].copy())
        gt.has_vertices = torch.tensor([float(has_vertices)], dtype=torch.float32)
        gt.joints_3d = torch.from_numpy(joints_3d[None].copy())
        gt.joints_2d = torch.from_numpy(joints_2d[None])
        gt.cam_K = torch.from_numpy(K[None].copy())
        crop_affine = results.get('crop_affine', np.eye(2, 3))
        gt.keypoints = input_to_original_pixels(joints_2d, crop_affine)[None]
        gt.keypoints_visible = np.isfinite(joints_3d).all(-1).astype(np.float32)[None]
        bbox = results.get('ori_bbox', results.get('bbox'))
        gt.bboxes = (np.zeros((1, 4), np.float32) if bbox is None else
                     np.asarray(bbox, dtype=np.float32).reshape(1, 4))

        defaults = dict(ori_K=K, crop_affine=np.eye(2, 3, dtype=np.float32), flipped=False,
                        input_size=(width, height), ori_shape=(height, width))
        meta = {key: results.get(key, defaults.get(key)) for key in self.meta_keys}
        meta['cam_K'] = K
        data_sample = PoseDataSample(metainfo=meta)
        data_sample.gt_instances = gt

        inputs = torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))
        return dict(inputs=inputs, data_samples=data_sample)

    def __repr__(self) -> str:
        return f'{type(self).__name__}(meta_keys={self.meta_keys})'

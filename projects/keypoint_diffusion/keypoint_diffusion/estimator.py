"""KeypointDiffusionEstimator: image encoder + diffhand_mm's DiffusionMeshHead over 21 joints."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseModel
from torch import Tensor

from diffhand_mm.models.estimators import IMAGENET_PREPROCESSOR, to_original_image
from .registry import MODELS


def joints_as_points(data_sample) -> None:
    """Make the 21 ground-truth joints the head's point-set target, in place.

    The head learns ``gt_instances.vertices`` (1, V, 3) where ``has_vertices`` is 1; here the
    points are the joints, which every sample has.
    """
    gt = data_sample.gt_instances
    gt.vertices = gt.joints_3d.clone()
    gt.has_vertices = torch.ones_like(gt.has_vertices)


@MODELS.register_module()
class KeypointDiffusionEstimator(BaseModel):
    """3D hand keypoints by diffusion: an encoder giving (feature map, embedding) and
    ``diffhand_mm.DiffusionMeshHead`` on a ``PointSetTopology`` of the 21 joints.

    Args:
        backbone: Encoder config with ``feature_channels`` / ``embed_dim`` attributes (e.g.
            ``diffhand_mm.TimmEncoder``).
        head: Head config (``diffhand_mm.DiffusionMeshHead``); ``in_channels`` and
            ``embed_dim`` default to the encoder's.
        data_preprocessor: Defaults to ImageNet mean/std, BGR -> RGB.
        test_cfg: Passed to the head's ``predict`` (``sampling_steps``, ``num_hypotheses``...).
        init_cfg: MMEngine init config.
    """

    def __init__(self, backbone: dict, head: dict, data_preprocessor: Optional[dict] = None,
                 test_cfg: Optional[dict] = None, init_cfg: Optional[dict] = None) -> None:
        super().__init__(data_preprocessor=data_preprocessor or dict(IMAGENET_PREPROCESSOR),
                         init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        head = dict(head)
        head.setdefault('in_channels', self.backbone.feature_channels)
        head.setdefault('embed_dim', self.backbone.embed_dim)
        self.head = MODELS.build(head)
        self.test_cfg = dict(test_cfg or {})

    def forward(self, inputs: Tensor, data_samples: Optional[Sequence] = None,
                mode: str = 'tensor'):
        """'loss' -> loss dict; 'predict' -> data samples with ``pred_instances`` in the
        original image (``joints_3d`` (1,21,3) metres, MMPose's ``keypoints``...);
        'tensor' -> (root-relative joints (B,21,3), cameras (B,3))."""
        feats = self.backbone(inputs)
        if mode == 'loss':
            for sample in data_samples:
                joints_as_points(sample)
            return self.head.loss(feats, data_samples)
        if mode == 'predict':
            predictions = self.head.predict(feats, data_samples, self.test_cfg)
            for sample, instance in zip(data_samples, predictions):
                gt = sample.get('gt_instances')
                sample.pred_instances = to_original_image(
                    instance, sample.metainfo, None if gt is None else gt.get('bboxes'))
            return data_samples
        if mode == 'tensor':
            return self.head(feats)
        raise ValueError(f"KeypointDiffusionEstimator: mode must be 'loss', 'predict' or "
                         f"'tensor', got {mode!r}.")

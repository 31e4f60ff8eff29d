"""The DiffHand estimator: data preprocessor + image encoder + diffusion mesh head."""
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.model import BaseModel
from mmengine.structures import InstanceData
from torch import Tensor

from diffhand_mm.models.heads.camera import perspective_project
from diffhand_mm.models.tta import predict_with_tta
from diffhand_mm.registry import MODELS, diffhand_scope
from diffhand_mm.structures import input_to_original_pixels, points_box

#: ImageNet statistics in 0-255 RGB, what timm's encoders expect.
IMAGENET_PREPROCESSOR = dict(type='ImgDataPreprocessor', mean=[123.675, 116.28, 103.53],
                             std=[58.395, 57.12, 57.375], bgr_to_rgb=True)


def to_original_image(instance: InstanceData, metainfo: dict,
                      input_bbox: Optional[np.ndarray] = None) -> InstanceData:
    """Map a prediction from the input crop back to the original image.

    The crop (``HandCrop``) changes only the intrinsics, not the 3D camera frame; a horizontal
    flip (``HandRandomFlip`` / left-to-right normalisation) mirrors X -> -X. So:

    - ``flipped`` True: vertices and joints get X -> -X, and ``joints_2d`` is the projection
      of the unflipped joints with ``ori_K`` (required), the intrinsics of the original
      image; this is exact whatever the order of crop and flip in the pipeline.
    - otherwise, with ``crop_affine`` A (2,3) (original pixels -> input pixels):
      ``joints_2d <- A[:, :2]^-1 (joints_2d - A[:, 2])``; without it the input is taken to be
      the original image and ``joints_2d`` is kept.

    Then MMPose's prediction fields are added (numpy float32, as MMPose's heads give them), so
    MMPose's metrics and visualisers read our predictions: ``keypoints`` (1,21,2) =
    ``joints_2d`` in original pixels, ``keypoint_scores`` (1,21) ones (the model gives no
    per-joint confidence), ``bboxes`` (1,4) the box the hand was cropped from (``input_bbox``,
    as MMPose's top-down estimators copy the input box) or, without one, the box of the
    keypoints, and ``bbox_scores`` (1,) ones.

    Args:
        instance: Head output for one image (see ``DiffusionMeshHead.predict``).
        metainfo: The data sample's metainfo.
        input_bbox: (1,4) or (4,) box x1,y1,x2,y2 of the hand in the original image.

    Returns:
        InstanceData: The same instance, updated in place.
    """
    if metainfo.get('flipped', False):
        if 'ori_K' not in metainfo:
            raise KeyError(f"DiffHand: {metainfo.get('img_path', '<no img_path>')} is flipped but "
                           "its metainfo has no 'ori_K' to project the unflipped joints.")
        mirror = torch.tensor([-1.0, 1.0, 1.0])
        instance.vertices = instance.vertices * mirror
        instance.joints_3d = instance.joints_3d * mirror
        ori_K = torch.as_tensor(np.asarray(metainfo['ori_K']), dtype=torch.float32)[None]
        instance.joints_2d = perspective_project(instance.joints_3d, ori_K)
    elif metainfo.get('crop_affine') is not None:
        try:
            instance.joints_2d = torch.from_numpy(input_to_original_pixels(
                instance.joints_2d.cpu().numpy(), metainfo['crop_affine']))
        except ValueError as error:
            raise ValueError(f"DiffHand: {metainfo.get('img_path', '<no img_path>')}: "
                             f'{error}') from None
    keypoints = instance.joints_2d.detach().cpu().numpy().astype(np.float32)
    instance.keypoints = keypoints
    instance.keypoint_scores = np.ones(keypoints.shape[:2], dtype=np.float32)
    box = points_box(keypoints) if input_bbox is None else np.asarray(input_bbox, np.float32)
    instance.bboxes = box.reshape(1, 4)
    instance.bbox_scores = np.ones(1, dtype=np.float32)
    return instance


@MODELS.register_module()
class DiffHand(BaseModel):
    """DiffHand (Li et al. 2023, https://arxiv.org/abs/2305.13705).

    Args:
        backbone: Encoder config (e.g. ``TimmEncoder``) returning (feature map, embedding);
            it must expose ``feature_channels`` and ``embed_dim``, which fill the head's
            ``in_channels`` / ``embed_dim`` when the head config leaves them out.
        head: ``DiffusionMeshHead`` config.
        data_preprocessor: Defaults to MMEngine's ``ImgDataPreprocessor`` with ImageNet
            mean/std and ``bgr_to_rgb=True`` (images are loaded BGR).
        train_cfg: Passed to ``head.loss``.
        test_cfg: Passed to ``head.predict``: ``num_hypotheses``, ``sampling_steps``, ``eta``;
            with ``tta=dict(rotations=[deg, ...], scales=[...])`` predictions are averaged over
            augmented crops (:func:`diffhand_mm.models.tta.predict_with_tta`).
        init_cfg: MMEngine init config.
    """

    def __init__(self, backbone: dict, head: dict, data_preprocessor: Optional[dict] = None,
                 train_cfg: Optional[dict] = None, test_cfg: Optional[dict] = None,
                 init_cfg: Optional[dict] = None) -> None:
        # MMEngine builds the data preprocessor with its own registry: in our scope, so that its
        # name means the same when another project builds this class (registry.py says why).
        with diffhand_scope():
            super().__init__(data_preprocessor=data_preprocessor or dict(IMAGENET_PREPROCESSOR),
                             init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        head = dict(head)
        head.setdefault('in_channels', self.backbone.feature_channels)
        head.setdefault('embed_dim', self.backbone.embed_dim)
        self.head = MODELS.build(head)
        self.train_cfg = dict(train_cfg or {})
        self.test_cfg = dict(test_cfg or {})

    def extract_feat(self, inputs: Tensor) -> Tuple[Tensor, Tensor]:
        """Normalised images (B,3,H,W) -> (feature_map (B,C,h,w), embedding (B,D))."""
        return self.backbone(inputs)

    def forward(self, inputs: Tensor, data_samples: Optional[Sequence] = None,
                mode: str = 'tensor') -> Union[Dict[str, Tensor], List, Tuple[Tensor, Tensor]]:
        """MMEngine entry point.

        Args:
            inputs: Preprocessed images (B, 3, H, W).
            data_samples: PoseDataSamples (needed for 'loss' and 'predict').
            mode: 'loss' -> dict of losses; 'predict' -> the data samples with
                ``pred_instances`` in the original image (see :func:`to_original_image`);
                'tensor' -> (root-relative vertices (B,V,3) metres, cameras (B,3)).
        """
        if mode == 'loss':
            return self.head.loss(self.extract_feat(inputs), data_samples, self.train_cfg)
        if mode == 'predict':
            if self.test_cfg.get('tta'):
                predictions = predict_with_tta(self, inputs, data_samples, self.test_cfg)
            else:
                predictions = self.head.predict(self.extract_feat(inputs), data_samples,
                                                self.test_cfg)
            for sample, instance in zip(data_samples, predictions):
                gt = sample.get('gt_instances')
                sample.pred_instances = to_original_image(
                    instance, sample.metainfo, None if gt is None else gt.get('bboxes'))
            return data_samples
        if mode == 'tensor':
            return self.head(self.extract_feat(inputs))
        raise ValueError("DiffHand.forward: mode must be 'loss', 'predict' or 'tensor', got "
                         f'{mode!r}.')

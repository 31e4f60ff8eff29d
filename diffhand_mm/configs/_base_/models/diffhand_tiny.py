# DiffHand, tiny: a CPU-sized model for smoke tests and quick experiments (not the paper's).
# Encoder: timm 'mobilenetv3_small_050' at 128 px (feature map 288 x 4 x 4, embedding 1024);
# decoder width 64. Encoder sizes fill the head's in_channels / embed_dim automatically.
from mmengine.model import ImgDataPreprocessor

from diffhand_mm.hand import OpenHandModel
from diffhand_mm.models.backbones import TimmEncoder
from diffhand_mm.models.decoders import CrossModalityDecoder
from diffhand_mm.models.estimators import DiffHand
from diffhand_mm.models.heads import DiffusionMeshHead
from diffhand_mm.models.losses import (Joint2DL1Loss, JointL1Loss, NormalConsistencyLoss,
                                       VertexL1Loss, X0MSELoss)

model = dict(
    type=DiffHand,
    data_preprocessor=dict(type=ImgDataPreprocessor, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type=TimmEncoder, model_name='mobilenetv3_small_050', pretrained=False,
                  img_size=128),
    head=dict(
        type=DiffusionMeshHead,
        hand_model=dict(type=OpenHandModel),
        decoder=dict(type=CrossModalityDecoder, dim=64, num_blocks=3, num_heads=4, ffn_ratio=2,
                     sample_rate=4, num_levels=2, group_size=8),
        use_diffusion=True,
        num_timesteps=1000,
        vertex_scale=0.1,
        loss_x0=dict(type=X0MSELoss, loss_weight=1.0),
        loss_vertex=dict(type=VertexL1Loss, loss_weight=1.0),
        loss_joint=dict(type=JointL1Loss, loss_weight=1.0),
        loss_joint_2d=dict(type=Joint2DL1Loss, loss_weight=0.05),
        loss_normal=dict(type=NormalConsistencyLoss, loss_weight=0.05)),
    # Test-time sampling; change freely without retraining (the schedule is not checkpointed).
    test_cfg=dict(sampling_steps=10, eta=0.0, num_hypotheses=1))

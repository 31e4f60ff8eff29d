# DiffHand with the paper's HRNet-W64 encoder (Li et al. 2023), timm's 'hrnet_w64' at 224 px
# (our choice: the paper's input sizes are lost in our copy of its text);
# TimmEncoder gives timm's forward_features output as the feature map. pretrained=False:
# offline machines cannot fetch ImageNet weights; set pretrained=True (internet) or
# checkpoint='<local file>' to train well.
# The decoder width (256) is our choice: the paper text we could read does not state it.
from mmengine.model import ImgDataPreprocessor

from diffhand_mm.hand import OpenHandModel
from diffhand_mm.models.backbones import TimmEncoder
from diffhand_mm.models.decoders import CrossModalityDecoder
from diffhand_mm.models.estimators import DiffHand
from diffhand_mm.models.heads import DiffusionMeshHead
from diffhand_mm.models.losses import (EdgeNormalLoss, Joint2DMSELoss, JointMSELoss,
                                       VertexMSELoss, X0MSELoss)

model = dict(
    type=DiffHand,
    data_preprocessor=dict(type=ImgDataPreprocessor, mean=[123.675, 116.28, 103.53],
                           std=[58.395, 57.12, 57.375], bgr_to_rgb=True),
    backbone=dict(type=TimmEncoder, model_name='hrnet_w64', pretrained=False,
                  img_size=224),
    head=dict(
        type=DiffusionMeshHead,
        hand_model=dict(type=OpenHandModel),
        decoder=dict(type=CrossModalityDecoder, dim=256, num_blocks=3, num_heads=8,
                     ffn_ratio=4, sample_rate=4, num_levels=2, group_size=8),
        use_diffusion=True,
        num_timesteps=1000,
        vertex_scale=0.1,
        # The paper's losses (Sec. 3.4): MSE terms and the edge-normal term; weights 1 and
        # 0.05 (which term gets which is lost in our copy; docs/model.md). The head's camera
        # loss (loss_camera, L1, weight 1) is ours and stays on.
        loss_x0=dict(type=X0MSELoss, loss_weight=1.0),
        loss_vertex=dict(type=VertexMSELoss, loss_weight=1.0),
        loss_joint=dict(type=JointMSELoss, loss_weight=1.0),
        loss_joint_2d=dict(type=Joint2DMSELoss, loss_weight=0.05),
        loss_normal=dict(type=EdgeNormalLoss, loss_weight=0.05)),
    test_cfg=dict(sampling_steps=10, eta=0.0, num_hypotheses=1))

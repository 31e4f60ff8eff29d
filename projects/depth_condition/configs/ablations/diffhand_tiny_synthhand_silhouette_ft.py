# Control of the depth experiment: the branch is fed only the blurred silhouette of the
# rendered surfaces (hand and occluders), no relief. What a depth gain owes to the silhouette
# that a rendered depth map gives away (project README, "Is the rendered depth fair?").
_base_ = ['../diffhand_tiny_synthhand_depth_ft.py']
depth_source = dict(type='RenderedDepthSource', downsample=4, blur_sigma=2.0, mode='silhouette')
train_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadHandImage'),
    dict(type='HandCrop', input_size=(128, 128), padding=1.6, shift_jitter=0.2,
         scale_jitter=0.3),
    dict(type='HandRandomRotate', max_angle_deg=45.0, prob=0.5),
    dict(type='LoadDepthCondition', source=depth_source),
    dict(type='HandColorJitter', brightness=0.2, contrast=0.2, saturation=0.2),
    dict(type='PackRGBDInputs'),
]))
val_dataloader = dict(dataset=dict(pipeline=[
    dict(type='LoadHandImage'),
    dict(type='HandCrop', input_size=(128, 128), padding=1.6),
    dict(type='LoadDepthCondition', source=depth_source),
    dict(type='PackRGBDInputs'),
]))
test_dataloader = val_dataloader

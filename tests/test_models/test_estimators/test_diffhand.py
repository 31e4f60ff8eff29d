import torch
from mmengine.structures import InstanceData

from diffhand_mm.models.estimators import DiffHand, to_original_image
from diffhand_mm.models.heads import perspective_project
from diffhand_mm.registry import MODELS
from tests.test_models.test_heads.stand_ins import make_data_samples, small_head_cfg

import diffhand_mm.models  # noqa: F401

SIZE = 64


def _model(**test_cfg) -> DiffHand:
    head = small_head_cfg()
    del head['in_channels'], head['embed_dim']  # filled in from the backbone
    return MODELS.build(dict(type='DiffHand', backbone=dict(type='TinyEncoder'), head=head,
                             test_cfg=test_cfg))


def _batch(batch=2, **metainfo):
    samples = make_data_samples(batch, size=SIZE)
    for sample in samples:
        sample.set_metainfo(metainfo)
    images = [torch.randint(0, 256, (3, SIZE, SIZE), dtype=torch.uint8) for _ in range(batch)]
    return dict(inputs=images, data_samples=samples)


def test_loss_gradients_reach_the_encoder():
    torch.manual_seed(0)
    model = _model()
    data = model.data_preprocessor(_batch(), training=True)
    losses = model(**data, mode='loss')
    sum(losses.values()).backward()
    assert model.backbone.conv.weight.grad.abs().sum() > 0
    # the 2D loss trains the camera
    assert model.head.camera_head.box_mlp[-1].weight.grad.abs().sum() > 0


def test_preprocessor_normalises_and_swaps_to_rgb():
    model = _model()
    image = torch.zeros(3, SIZE, SIZE, dtype=torch.uint8)
    image[0] = 255  # blue channel of a BGR image
    data = model.data_preprocessor(dict(inputs=[image], data_samples=None))
    # after BGR->RGB the 255 channel is the last one: (255 - 103.53) / 57.375
    torch.testing.assert_close(data['inputs'][0, 2, 0, 0], torch.tensor((255 - 103.53) / 57.375))


def test_predict_maps_back_with_crop_affine_and_encodes_once():
    torch.manual_seed(0)
    model = _model(num_hypotheses=2, sampling_steps=3).eval()
    ori_K = torch.tensor([[150.0, 0, 100.0], [0, 150.0, 80.0], [0, 0, 1]])
    affine = torch.tensor([[0.5, 0.0, -20.0], [0.0, 0.5, -8.0]])  # original -> input pixels
    cam_K = torch.cat([affine, torch.tensor([[0.0, 0, 1]])]) @ ori_K
    batch = _batch(crop_affine=affine.numpy(), ori_K=ori_K.numpy(), cam_K=cam_K.numpy())
    outputs = model.test_step(batch)
    assert model.backbone.num_calls == 1
    pred = outputs[0].pred_instances
    assert pred.vertex_uncertainty.shape == (1, 778)
    # inverse affine of the input-pixel joints == projection with the original intrinsics
    torch.testing.assert_close(pred.joints_2d, perspective_project(pred.joints_3d, ori_K[None]),
                               atol=1e-3, rtol=0)


def test_flip_is_undone_in_3d_and_2d():
    instance_kwargs = dict(vertices=torch.tensor([[[0.02, 0.01, 0.5]]]),
                           joints_3d=torch.tensor([[[0.03, -0.01, 0.4]]]),
                           joints_2d=torch.zeros(1, 1, 2))
    ori_K = torch.tensor([[100.0, 0, 50.0], [0, 100.0, 40.0], [0, 0, 1]])
    out = to_original_image(InstanceData(**instance_kwargs),
                            dict(flipped=True, ori_K=ori_K.numpy(), crop_affine=None))
    torch.testing.assert_close(out.vertices, torch.tensor([[[-0.02, 0.01, 0.5]]]))
    torch.testing.assert_close(out.joints_3d, torch.tensor([[[-0.03, -0.01, 0.4]]]))
    # u = 100 * -0.03 / 0.4 + 50 = 42.5, v = 100 * -0.01 / 0.4 + 40 = 37.5
    torch.testing.assert_close(out.joints_2d, torch.tensor([[[42.5, 37.5]]]))


def test_tensor_mode_and_test_cfg_steps():
    torch.manual_seed(0)
    model = _model(sampling_steps=1).eval()
    data = model.data_preprocessor(_batch())
    vertices, camera = model(data['inputs'], mode='tensor')
    assert vertices.shape == (2, 778, 3) and camera.shape == (2, 3)
    calls = []
    original = model.head.decoder.forward
    model.head.decoder.forward = lambda *args: (calls.append(1), original(*args))[1]
    model(**data, mode='predict')
    assert len(calls) == 1  # test_cfg sampling_steps=1 overrides the head's 2

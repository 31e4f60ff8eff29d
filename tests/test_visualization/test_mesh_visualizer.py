"""MeshVisualizer: the predicted mesh and keypoints land on the original image."""
import numpy as np
import torch
from mmengine.structures import InstanceData
from mmpose.structures import PoseDataSample

from diffhand_mm.hand import OpenHandModel
from diffhand_mm.visualization import HAND_SKELETON, MeshVisualizer

K = np.array([[200.0, 0.0, 63.5], [0.0, 200.0, 63.5], [0.0, 0.0, 1.0]], np.float32)


def _sample(points):
    """A prediction of ``points`` (V,3) metres, 0.5 m in front of the camera K."""
    points = torch.as_tensor(points, dtype=torch.float32) + torch.tensor([0.0, 0.0, 0.5])
    joints = points[:21]
    uvw = joints @ torch.from_numpy(K).T
    sample = PoseDataSample(metainfo=dict(ori_K=K, hand_side='right', flipped=False))
    sample.pred_instances = InstanceData(vertices=points[None], keypoints=(
        uvw[:, :2] / uvw[:, 2:]).numpy()[None], bboxes=np.array([[10.0, 10.0, 100.0, 100.0]]))
    return sample


def test_mesh_and_keypoints_are_drawn_where_they_project():
    hand = OpenHandModel()
    visualizer = MeshVisualizer(name='test_mesh_visualizer', hand_model=hand)
    visualizer.set_dataset_meta(dict(dataset_name='synthhand'))
    image = np.zeros((128, 128, 3), np.uint8)
    vertices = hand.v_template - hand.v_template.mean(0)
    mesh = visualizer.add_datasample('mesh', image, _sample(vertices), draw_bbox=True)
    assert mesh.shape == image.shape and mesh.dtype == np.uint8
    uvw = (vertices + torch.tensor([0.0, 0.0, 0.5])).numpy() @ K.T
    u, v = np.round(uvw[:, :2] / uvw[:, 2:]).astype(int).T
    inside = (u >= 0) & (u < 128) & (v >= 0) & (v < 128)
    # the projected vertices are covered by the drawing (keypoints alone cover far fewer)
    assert (mesh[v[inside], u[inside]].max(-1) > 0).mean() > 0.7
    # a point set with another vertex count: keypoints and box only, no mesh
    points = visualizer.add_datasample('points', image, _sample(vertices[:21]), draw_bbox=True)
    assert 0 < (points.max(-1) > 0).sum() < (mesh.max(-1) > 0).sum()
    assert len(HAND_SKELETON) == 20 and {j for bone in HAND_SKELETON for j in bone} == \
        set(range(21))

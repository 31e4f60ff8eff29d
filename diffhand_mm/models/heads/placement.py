"""Packing a placed mesh into per-image prediction instances (head, TTA)."""
from typing import List, NamedTuple, Optional

from mmengine.structures import InstanceData
from torch import Tensor


class MeshPlacement(NamedTuple):
    """A batch of meshes placed in the camera frame of the input crops.

    Attributes:
        vertices: (B, V, 3) metres, camera frame; the regressed wrist is at the root position
            the weak-perspective camera implies.
        joints_3d: (B, 21, 3) metres, ``J21 @ vertices``.
        joints_2d: (B, 21, 2) input-crop pixels, the pinhole projection of ``joints_3d``.
        camera: (B, 3) = (s, t_x, t_y), the weak-perspective camera.
    """
    vertices: Tensor
    joints_3d: Tensor
    joints_2d: Tensor
    camera: Tensor


def pack_predictions(placement: MeshPlacement, vertex_uncertainty: Optional[Tensor] = None,
                     hypothesis_index: Optional[Tensor] = None) -> List[InstanceData]:
    """One ``InstanceData`` per image with float32 CPU tensors, a leading instance axis of 1.

    Args:
        placement: The batch's meshes.
        vertex_uncertainty: (B, V) metres, the hypotheses' spread, or None.
        hypothesis_index: (B,) int64, which hypothesis was returned, or None.

    Returns:
        list[InstanceData]: ``vertices`` (1,V,3), ``joints_3d`` (1,21,3), ``joints_2d``
        (1,21,2), ``camera`` (1,3), and the optional fields when given.
    """
    results = []
    for i in range(placement.vertices.shape[0]):
        instance = InstanceData(**{name: value[i:i + 1].float().cpu()
                                   for name, value in placement._asdict().items()})
        if vertex_uncertainty is not None:
            instance.vertex_uncertainty = vertex_uncertainty[i:i + 1].float().cpu()
        if hypothesis_index is not None:
            instance.hypothesis_index = hypothesis_index[i:i + 1].cpu()
        results.append(instance)
    return results

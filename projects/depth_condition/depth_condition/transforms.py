"""Pipeline steps that add the depth condition to a sample and pack it as a 4th channel."""
import numpy as np
import torch
from mmcv.transforms import BaseTransform

from diffhand_mm.datasets.transforms import PackHandInputs
from .registry import TRANSFORMS
from .sources import build_depth_source


@TRANSFORMS.register_module()
class LoadDepthCondition(BaseTransform):
    """Adds ``depth_condition`` (H, W) float32 in [0, 1] from a depth source.

    Place it after every geometric transform (the map is produced in the final input crop)
    and before ``PackRGBDInputs``.

    Args:
        source: A depth-source config (``RenderedDepthSource``, ``MidasDepthSource``) or
            instance; see ``depth_condition.sources``.
    """

    def __init__(self, source: dict) -> None:
        self.source = build_depth_source(source)

    def transform(self, results: dict) -> dict:
        depth = self.source(results)
        expected = results['img'].shape[:2]
        if depth.shape != expected or depth.dtype != np.float32:
            raise ValueError(f"{type(self.source).__name__} returned {depth.dtype} "
                             f"{depth.shape} for {results.get('img_path')}, expected float32 "
                             f'{expected} (the input crop).')
        results['depth_condition'] = depth
        return results

    def __repr__(self) -> str:
        return f'{type(self).__name__}(source={self.source!r})'


@TRANSFORMS.register_module()
class PackRGBDInputs(PackHandInputs):
    """``PackHandInputs`` whose ``inputs`` carry the depth condition as a 4th channel.

    ``inputs``: float32 (4, H, W): the BGR image in 0-255 and the relative inverse depth in
    [0, 1]. Everything else as ``PackHandInputs``.

    Raises:
        KeyError: the sample has no ``depth_condition`` (no ``LoadDepthCondition`` before).
    """

    def transform(self, results: dict) -> dict:
        if results.get('depth_condition') is None:
            raise KeyError(f"PackRGBDInputs: {results.get('img_path')} has no "
                           "'depth_condition'; put LoadDepthCondition before packing.")
        packed = super().transform(results)
        depth = torch.from_numpy(np.ascontiguousarray(results['depth_condition']))[None]
        packed['inputs'] = torch.cat([packed['inputs'].float(), depth.float()])
        return packed

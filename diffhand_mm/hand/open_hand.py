"""The project's own open hand template as a :class:`HandModel`."""
import os.path as osp
from typing import Optional, Sequence

import numpy as np

from diffhand_mm.registry import MODELS
from .hand_model import NUM_JOINTS, HandModel, mirror_arrays

DEFAULT_ASSET = osp.join(osp.dirname(__file__), 'assets', 'open_hand_right.npz')
_REQUIRED_KEYS = ('v_template', 'faces', 'skinning_weights', 'shapedirs', 'joint_regressor',
                  'parents', 'fingertip_ids', 'pca_components', 'pca_mean')


def load_open_hand_arrays(path: str = DEFAULT_ASSET) -> dict:
    """Read the template file (written by ``tools/generate_open_hand.py``).

    Returns:
        numpy arrays named as :class:`HandModel`'s arguments; ``posedirs`` (V, 3, 135) are
        zeros (the file does not store them), and ``shape_names`` (S,) strings.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'open hand template {path} not found; regenerate it with '
                                '`python tools/generate_open_hand.py`')
    with np.load(path) as data:
        missing = [k for k in _REQUIRED_KEYS if k not in data]
        if missing:
            raise KeyError(f'{path} lacks arrays {missing}')
        arrays = {k: data[k] for k in _REQUIRED_KEYS}
        arrays['shape_names'] = data['shape_names'] if 'shape_names' in data else None
    arrays['v_template'] = arrays['v_template'].astype(np.float64)
    arrays['faces'] = arrays['faces'].astype(np.int64)
    arrays['posedirs'] = np.zeros((len(arrays['v_template']), 3, 9 * (NUM_JOINTS - 1)))
    return arrays


@MODELS.register_module()
class OpenHandModel(HandModel):
    """The open template (778 vertices, 10 shape blend shapes, no pose blend shapes).

    Canonical frame of the right hand: metres, wrist joint at the origin, fingers along +y,
    thumb towards +x, palm facing +z. The left hand is its mirror image (x -> -x).

    Args:
        side: 'right' or 'left'.
        flat_hand_mean: If False, ``pca_mean`` (the mean of the sampled poses the PCA was fitted
            on, a relaxed half-open hand) is added to the finger pose, as MANO does.
        num_pca_comps: Number of PCA coefficients ``forward(pca_pose=...)`` expects.
        fingertip_ids: Override the 5 fingertip vertex ids (thumb..pinky).
        asset_path: Template file; the shipped one by default.
    """

    def __init__(self, side: str = 'right', flat_hand_mean: bool = True,
                 num_pca_comps: int = 45, fingertip_ids: Optional[Sequence[int]] = None,
                 asset_path: str = DEFAULT_ASSET):
        arrays = load_open_hand_arrays(asset_path)
        shape_names = arrays.pop('shape_names')
        if fingertip_ids is not None:
            arrays['fingertip_ids'] = np.asarray(fingertip_ids)
        if side == 'left':
            arrays = mirror_arrays(arrays)
        super().__init__(**arrays, side=side, flat_hand_mean=flat_hand_mean,
                         num_pca_comps=num_pca_comps)
        self.shape_names = None if shape_names is None else [str(n) for n in shape_names]

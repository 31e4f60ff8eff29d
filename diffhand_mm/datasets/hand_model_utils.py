"""Ground-truth meshes from MANO parameters, for datasets that ship parameters, not vertices.

DexYCB and HO-3D label hands with MANO parameters. MANO cannot be shipped with this project,
so the user passes a hand model config (``dict(type='MANOHandModel', model_path=...)``, see
``diffhand_mm/hand``) or a built model; without one the datasets give ``vertices_3d=None``.
"""
from typing import Dict, Optional, Union

import numpy as np
import torch
from mmengine.logging import print_log
from torch import nn

from diffhand_mm.registry import MODELS

HandModelCfg = Optional[Union[dict, nn.Module]]


def build_hand_models(mano: HandModelCfg, dataset_name: str) -> Dict[str, nn.Module]:
    """Build the hand models by side.

    Args:
        mano: None; a hand model (config dict with ``type`` or built module, used for its
            ``side``); or ``dict(right=..., left=...)`` of such, one per side.
        dataset_name: for messages.

    Returns:
        ``{'right': model, 'left': model}`` restricted to the sides given; empty for None.

    Raises:
        ValueError: a model's ``side`` differs from the key it was given under.
    """
    if mano is None:
        print_log(f'{dataset_name}: no hand model given (mano=None), so vertices_3d is None and '
                  'only joint metrics are possible. Pass mano=dict(type="MANOHandModel", '
                  'model_path=".../MANO_RIGHT.pkl") for meshes.', logger='current', level=30)
        return {}
    if isinstance(mano, nn.Module) or 'type' in mano:
        model = _build_one(mano)
        return {model.side: model}
    unknown = set(mano) - {'right', 'left'}
    if unknown:
        raise ValueError(f'{dataset_name}: `mano` must be a hand model config or a dict with keys '
                         f"'right' / 'left', got keys {sorted(mano)}")
    models = {}
    for side, cfg in mano.items():
        model = _build_one(cfg)
        if model.side != side:
            raise ValueError(f'{dataset_name}: the hand model given for {side!r} hands has '
                             f'side={model.side!r}')
        models[side] = model
    return models


def _build_one(cfg: Union[dict, nn.Module]) -> nn.Module:
    model = cfg if isinstance(cfg, nn.Module) else MODELS.build(cfg)
    return model.eval()


def posed_vertices(model: nn.Module, pose: np.ndarray, betas: np.ndarray,
                   transl: np.ndarray) -> np.ndarray:
    """Vertices (V,3) float32 metres of ``model`` posed by full axis-angle ``pose`` (48,),
    shape ``betas`` (S,) and translation ``transl`` (3,) (added to the posed mesh).

    ``pose`` is the complete rotation of every joint (any mean pose already included). A hand
    model built with ``flat_hand_mean=False`` adds its ``pca_mean`` to the finger pose, so that
    mean is taken out first: the mesh is then the same whatever the model's setting.
    """
    full_pose = torch.as_tensor(pose, dtype=torch.float32).reshape(1, 48)
    if not getattr(model, 'flat_hand_mean', True):
        finger_mean = model.pca_mean.detach().to(full_pose).reshape(1, 45)
        full_pose = torch.cat([full_pose[:, :3], full_pose[:, 3:] - finger_mean], dim=1)
    with torch.no_grad():
        out = model(pose=full_pose,
                    betas=torch.as_tensor(betas, dtype=torch.float32).reshape(1, -1),
                    transl=torch.as_tensor(transl, dtype=torch.float32).reshape(1, 3))
    return out.vertices[0].cpu().numpy().astype(np.float32)


def pca_to_full_pose(model: nn.Module, pose_pca: np.ndarray) -> np.ndarray:
    """MANO PCA pose (3 global + N coefficients) -> full axis-angle (48,).

    Finger pose = ``pca_mean + coeffs @ pca_components[:N]``: the mean pose is added, as
    DexYCB's toolkit does (manopth ``flat_hand_mean=False``).
    """
    coeffs = np.asarray(pose_pca[3:], dtype=np.float64)
    components = model.pca_components.detach().cpu().numpy().astype(np.float64)
    mean = model.pca_mean.detach().cpu().numpy().astype(np.float64)
    fingers = mean + coeffs @ components[:len(coeffs)]
    return np.concatenate([pose_pca[:3], fingers]).astype(np.float32)

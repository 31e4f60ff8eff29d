"""MANO (Romero et al. 2017) loaded from the official pickle without chumpy.

MANO cannot be redistributed: download ``MANO_RIGHT.pkl`` / ``MANO_LEFT.pkl`` from
https://mano.is.tue.mpg.de under its licence and put them in ``data/mano/``.
"""
import os.path as osp
from typing import Optional, Sequence

import numpy as np
import scipy.sparse

from diffhand_mm.registry import MODELS
from diffhand_mm.utils.safe_pickle import (NUMPY_GLOBALS, OBJECT_GLOBALS, AllowlistUnpickler,
                                           load_pickle)
from .hand_model import HandModel
from .joint_orders import FREIHAND_FINGERTIP_IDS

DEFAULT_MANO_DIR = 'data/mano'
_HOW_TO_GET = ('MANO is not shipped with diffhand_mm (its licence forbids redistribution): '
               'download it from https://mano.is.tue.mpg.de (register, accept the licence, '
               '"Models & Code"), and put MANO_RIGHT.pkl and MANO_LEFT.pkl in '
               f'{DEFAULT_MANO_DIR}/ (e.g. {DEFAULT_MANO_DIR}/MANO_RIGHT.pkl)')
_REQUIRED_KEYS = ('v_template', 'shapedirs', 'posedirs', 'J_regressor', 'weights',
                  'kintree_table', 'f', 'hands_components', 'hands_mean')


class _ChumpyStandIn:
    """Takes the place of any chumpy class while unpickling; keeps the pickled state."""

    def __init__(self, *args, **kwargs):
        self.state = None

    def __setstate__(self, state):
        self.state = state


class _SparseStandIn:
    """Takes the place of a scipy.sparse matrix class; rebuilt from its pickled state."""
    fmt = None

    def __init__(self, *args, **kwargs):
        self.state = None

    def __setstate__(self, state):
        self.state = state


def _sparse_stand_in(name: str):
    return type(name, (_SparseStandIn,), {'fmt': name[:3]})


class _MANOUnpickler(AllowlistUnpickler):
    """Maps chumpy and scipy.sparse classes to inert stand-ins (no chumpy import, no dependence
    on the private module paths scipy used in 2017) and refuses every other global that is not
    a numpy array, scalar or dtype (see :mod:`diffhand_mm.utils.safe_pickle`)."""

    def find_class(self, module, name):
        if module == 'chumpy' or module.startswith('chumpy.'):
            return _ChumpyStandIn
        if module.startswith('scipy.sparse') and name in ('csc_matrix', 'csr_matrix'):
            return _sparse_stand_in(name)
        return super().find_class(module, name)


#: What a MANO pickle may name besides chumpy and scipy.sparse matrices.
_MANO_GLOBALS = {**NUMPY_GLOBALS, **OBJECT_GLOBALS}


def _to_numpy(value, key: str, path: str):
    if isinstance(value, _ChumpyStandIn):
        state = value.state if isinstance(value.state, dict) else {}
        if 'x' not in state:
            raise ValueError(f'{path}: "{key}" is a chumpy expression, not a plain chumpy '
                             'array; only plain arrays are supported')
        return np.asarray(state['x'])
    if isinstance(value, _SparseStandIn):
        state = value.state or {}
        shape = state.get('_shape', state.get('shape'))
        if shape is None or not {'data', 'indices', 'indptr'} <= set(state):
            raise ValueError(f'{path}: "{key}" is a sparse matrix with unknown fields '
                             f'{sorted(state)}')
        cls = scipy.sparse.csc_matrix if value.fmt == 'csc' else scipy.sparse.csr_matrix
        return cls((state['data'], state['indices'], state['indptr']), shape=shape).toarray()
    if scipy.sparse.issparse(value):
        return value.toarray()
    return np.asarray(value)


def _side_from_path(path: str) -> Optional[str]:
    name = osp.basename(path).upper()
    if 'LEFT' in name:
        return 'left'
    if 'RIGHT' in name:
        return 'right'
    return None


def load_mano_pickle(path: str, side: Optional[str] = None,
                     fix_left_shapedirs: bool = True) -> dict:
    """Read an official MANO pickle into numpy arrays, without chumpy.

    Args:
        path: ``MANO_RIGHT.pkl`` or ``MANO_LEFT.pkl``.
        side: 'right' / 'left'; None infers it from the file name.
        fix_left_shapedirs: The released MANO_LEFT.pkl has ``shapedirs[:, 0, :]`` with the
            wrong sign (its x components equal the right hand's instead of their negation;
            see github.com/vchoutas/smplx issue 48); negate them for a left hand.

    Returns:
        dict with float64 ``v_template`` (778, 3), ``shapedirs`` (778, 3, 10), ``posedirs``
        (778, 3, 135), ``joint_regressor`` (16, 778) dense, ``skinning_weights`` (778, 16),
        ``pca_components`` (45, 45), ``pca_mean`` (45,); int64 ``faces`` (1538, 3),
        ``parents`` (16,) with -1 for the root; and ``side``.

    Raises:
        FileNotFoundError: with instructions on where to get MANO and where to put it.
        ValueError / KeyError: if the file is not a MANO pickle.
        RefusedPickleError: the file names a class or function a MANO file never holds
            (e.g. ``os.system``): it is refused before anything runs.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'MANO model file {path} not found. {_HOW_TO_GET}')
    side = side or _side_from_path(path)
    if side not in ('right', 'left'):
        raise ValueError(f'cannot tell the hand side of {path} from its name; pass side=')
    raw = load_pickle(path, _MANO_GLOBALS, encoding='latin1', unpickler=_MANOUnpickler,
                      what='a MANO model file (numpy and chumpy arrays, scipy sparse matrices)')
    if not isinstance(raw, dict):
        raise ValueError(f'{path} holds a {type(raw).__name__}, not a MANO dict')
    missing = [k for k in _REQUIRED_KEYS if k not in raw]
    if missing:
        raise KeyError(f'{path} is not a MANO model file: missing keys {missing}')
    arr = {k: _to_numpy(raw[k], k, path) for k in _REQUIRED_KEYS}
    shapedirs = arr['shapedirs'].astype(np.float64)
    if side == 'left' and fix_left_shapedirs:
        shapedirs[:, 0, :] *= -1
    parents = arr['kintree_table'][0].astype(np.int64)
    parents[0] = -1  # stored as 2**32 - 1
    return dict(
        v_template=arr['v_template'].astype(np.float64), shapedirs=shapedirs,
        posedirs=arr['posedirs'].astype(np.float64),
        joint_regressor=arr['J_regressor'].astype(np.float64),
        skinning_weights=arr['weights'].astype(np.float64), faces=arr['f'].astype(np.int64),
        parents=parents, pca_components=arr['hands_components'].astype(np.float64),
        pca_mean=arr['hands_mean'].astype(np.float64), side=side)


@MODELS.register_module()
class MANOHandModel(HandModel):
    """MANO with the :class:`HandModel` API.

    Args:
        model_path: A MANO pickle, or a folder holding ``MANO_RIGHT.pkl`` / ``MANO_LEFT.pkl``
            (default ``data/mano``).
        side: 'right' / 'left'; None: from the file name (a folder: right).
        flat_hand_mean: False (MANO's default) adds ``hands_mean`` to the finger pose.
        num_pca_comps: Number of PCA coefficients ``forward(pca_pose=...)`` expects.
        fingertip_ids: Tip vertex ids (thumb..pinky); FreiHAND's by default.
        fix_left_shapedirs: See :func:`load_mano_pickle`.
    """

    def __init__(self, model_path: str = DEFAULT_MANO_DIR, side: Optional[str] = None,
                 flat_hand_mean: bool = False, num_pca_comps: int = 45,
                 fingertip_ids: Sequence[int] = FREIHAND_FINGERTIP_IDS,
                 fix_left_shapedirs: bool = True):
        if osp.isdir(model_path) or not osp.splitext(model_path)[1]:
            model_path = osp.join(model_path, f'MANO_{(side or "right").upper()}.pkl')
        arrays = load_mano_pickle(model_path, side, fix_left_shapedirs)
        side = arrays.pop('side')
        super().__init__(**arrays, fingertip_ids=fingertip_ids, side=side,
                         flat_hand_mean=flat_hand_mean, num_pca_comps=num_pca_comps)
        self.model_path = model_path

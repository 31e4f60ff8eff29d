"""MANO loader on a pickle this test writes: same structure as the official file (chumpy
arrays under a fake `chumpy` module, scipy sparse J_regressor), random numbers, no MANO data."""
import pickle
import sys
import types

import numpy as np
import pytest
import scipy.sparse
import torch

from diffhand_mm.hand import MANOHandModel, load_mano_pickle

torch.set_num_threads(1)


class Ch:
    """Stand-in for chumpy.ch.Ch: pickles its __dict__ ({'x': array, ...}) like chumpy does."""

    def __init__(self, x):
        self.x = x
        self._dirty_vars = set()
        self._itr = None


@pytest.fixture(scope='module')
def fake_chumpy():
    module = types.ModuleType('chumpy.ch')
    Ch.__module__ = 'chumpy.ch'
    module.Ch = Ch
    parent = types.ModuleType('chumpy')
    parent.ch = module
    sys.modules.update({'chumpy': parent, 'chumpy.ch': module})
    yield
    del sys.modules['chumpy'], sys.modules['chumpy.ch']


def random_mano(seed):
    rng = np.random.default_rng(seed)
    regressor = np.zeros((16, 778))
    for j in range(16):
        ids = rng.choice(778, 12, replace=False)
        regressor[j, ids] = rng.random(12)
    regressor /= regressor.sum(1, keepdims=True)
    weights = rng.random((778, 16))
    return {
        'v_template': 0.1 * rng.standard_normal((778, 3)),
        'shapedirs': Ch(0.01 * rng.standard_normal((778, 3, 10))),
        'posedirs': 0.001 * rng.standard_normal((778, 3, 135)),
        'J_regressor': scipy.sparse.csc_matrix(regressor),
        'weights': weights / weights.sum(1, keepdims=True),
        'kintree_table': np.array([[4294967295, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14],
                                   np.arange(16)]),
        'f': rng.integers(0, 778, (1538, 3)).astype(np.uint32),
        'hands_components': rng.standard_normal((45, 45)),
        'hands_mean': 0.1 * rng.standard_normal(45),
        'bs_style': 'lbs', 'bs_type': 'lrotmin',
    }


@pytest.fixture(scope='module')
def mano_dir(tmp_path_factory, fake_chumpy):
    folder = tmp_path_factory.mktemp('mano')
    written = {}
    for side, seed in (('RIGHT', 0), ('LEFT', 1)):
        data = random_mano(seed)
        with open(folder / f'MANO_{side}.pkl', 'wb') as f:
            pickle.dump(data, f, protocol=2)
        written[side] = data
    return folder, written


def test_round_trip_right(mano_dir):
    folder, written = mano_dir
    data = written['RIGHT']
    arrays = load_mano_pickle(str(folder / 'MANO_RIGHT.pkl'))
    assert arrays['side'] == 'right'
    np.testing.assert_array_equal(arrays['v_template'], data['v_template'])
    np.testing.assert_array_equal(arrays['shapedirs'], data['shapedirs'].x)
    np.testing.assert_array_equal(arrays['posedirs'], data['posedirs'])
    np.testing.assert_array_equal(arrays['joint_regressor'], data['J_regressor'].toarray())
    np.testing.assert_array_equal(arrays['skinning_weights'], data['weights'])
    np.testing.assert_array_equal(arrays['faces'], data['f'].astype(np.int64))
    np.testing.assert_array_equal(arrays['pca_components'], data['hands_components'])
    np.testing.assert_array_equal(arrays['pca_mean'], data['hands_mean'])
    assert arrays['parents'].tolist() == [-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 0, 10, 11, 0, 13, 14]


def test_left_shapedirs_sign_fix(mano_dir):
    folder, written = mano_dir
    shapedirs = written['LEFT']['shapedirs'].x
    arrays = load_mano_pickle(str(folder / 'MANO_LEFT.pkl'))
    assert arrays['side'] == 'left'
    np.testing.assert_array_equal(arrays['shapedirs'][:, 0], -shapedirs[:, 0])
    np.testing.assert_array_equal(arrays['shapedirs'][:, 1:], shapedirs[:, 1:])
    unfixed = load_mano_pickle(str(folder / 'MANO_LEFT.pkl'), fix_left_shapedirs=False)
    np.testing.assert_array_equal(unfixed['shapedirs'], shapedirs)


def test_mano_hand_model_api(mano_dir):
    folder, written = mano_dir
    data = written['RIGHT']
    model = MANOHandModel(str(folder), num_pca_comps=6)
    assert model.side == 'right' and model.num_vertices == 778 and model.num_betas == 10
    assert model.fingertip_ids.tolist() == [744, 320, 443, 555, 672]
    betas = torch.zeros(1, 10)
    betas[0, 2] = 1.5
    # flat_hand_mean=False: a zero PCA pose is MANO's mean hand, not the template.
    out = model(pca_pose=torch.zeros(1, 6), betas=betas)
    mean_pose = torch.cat([torch.zeros(3), torch.as_tensor(data['hands_mean']).float()])[None]
    flat = MANOHandModel(str(folder / 'MANO_RIGHT.pkl'), flat_hand_mean=True)
    torch.testing.assert_close(out.vertices, flat(pose=mean_pose, betas=betas).vertices)
    shaped = data['v_template'] + 1.5 * data['shapedirs'].x[..., 2]
    torch.testing.assert_close(flat(betas=betas).vertices[0].double(), torch.as_tensor(shaped),
                               atol=1e-6, rtol=0)
    left = MANOHandModel(str(folder), side='left')
    assert left.side == 'left'


def test_missing_file_says_where_to_put_mano(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'data/mano/MANO_RIGHT\.pkl.*|mano\.is\.tue'):
        MANOHandModel(str(tmp_path / 'nowhere' / 'MANO_RIGHT.pkl'))
    with pytest.raises(FileNotFoundError) as info:
        load_mano_pickle(str(tmp_path / 'MANO_LEFT.pkl'))
    assert 'data/mano/' in str(info.value) and 'licence' in str(info.value)


def test_not_a_mano_file(tmp_path):
    path = tmp_path / 'MANO_RIGHT.pkl'
    with open(path, 'wb') as f:
        pickle.dump({'v_template': np.zeros((778, 3))}, f)
    with pytest.raises(KeyError, match='missing keys'):
        load_mano_pickle(str(path))

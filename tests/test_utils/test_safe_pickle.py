"""No pickle we read can run code: MANO files, HO-3D meta files, DexYCB ground truth."""
import os
import pickle

import numpy as np
import pytest

from diffhand_mm.utils.safe_pickle import RefusedPickleError, load_pickle


class _Payload:
    """Pickles as a call of os.system (what a tampered file does)."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f'touch {self.marker}', )


def _tampered(path, marker, protocol=2, **extra):
    with open(path, 'wb') as f:
        pickle.dump(dict(extra, payload=_Payload(marker)), f, protocol=protocol)


def test_numpy_content_loads(tmp_path):
    path = tmp_path / 'arrays.pkl'
    data = dict(a=np.arange(6.0).reshape(2, 3), b=np.float32(2.5), c=[1, 'x', None])
    for protocol in (2, pickle.HIGHEST_PROTOCOL):
        with open(path, 'wb') as f:
            pickle.dump(data, f, protocol=protocol)
        loaded = load_pickle(str(path))
        np.testing.assert_array_equal(loaded['a'], data['a'])
        assert loaded['b'] == 2.5 and loaded['c'] == [1, 'x', None]


def test_mano_file_that_runs_a_command_is_refused(tmp_path):
    from diffhand_mm.hand import load_mano_pickle
    marker, path = tmp_path / 'ran', tmp_path / 'MANO_RIGHT.pkl'
    _tampered(path, marker, v_template=np.zeros((778, 3)))
    with pytest.raises(RefusedPickleError) as info:
        load_mano_pickle(str(path))
    assert not marker.exists()
    message = str(info.value)
    assert str(path) in message and 'system' in message and 'MANO' in message


def test_ho3d_meta_file_that_runs_a_command_is_refused(tmp_path):
    from tests.test_datasets.dataset_writers import write_ho3d
    from diffhand_mm.datasets import HO3DDataset
    write_ho3d(str(tmp_path), frames=1)
    marker = tmp_path / 'ran'
    meta = tmp_path / 'train' / 'MC1' / 'meta' / '0000.pkl'
    _tampered(meta, marker, camMat=np.eye(3))
    with pytest.raises(RefusedPickleError, match=r'0000\.pkl: refused to load `posix\.system`'):
        HO3DDataset(str(tmp_path), split='train')
    assert not marker.exists()


def test_dexycb_ground_truth_that_runs_a_command_is_refused(tmp_path):
    from diffhand_mm.evaluation.submission import read_dexycb_ground_truth
    marker, path = tmp_path / 'ran', tmp_path / 'anno_hpe_s0_test.pkl'
    _tampered(path, marker, protocol=pickle.HIGHEST_PROTOCOL, joint_3d={})
    with pytest.raises(RefusedPickleError, match='anno_hpe_s0_test.pkl'):
        read_dexycb_ground_truth(str(path))
    assert not marker.exists()


def test_truncated_pickle_is_named(tmp_path):
    path = tmp_path / 'cut.pkl'
    with open(path, 'wb') as f:
        f.write(pickle.dumps(dict(a=np.zeros(100)))[:50])
    with pytest.raises(ValueError, match=r'cut\.pkl: not a readable pickle'):
        load_pickle(str(path))

"""The resume-safe loader: mmengine runner checkpoints load with weights_only=True, and the
allowlist does not open arbitrary attribute access."""
import io
import pickle

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub

from diffhand_mm.engine import load_local_checkpoint


def test_message_hub_state_round_trips(tmp_path):
    hub = MessageHub.get_instance('test_checkpoint_loading')
    for value in (1.0, 2.0, 4.0):
        hub.update_scalar('train/loss', value)
    path = tmp_path / 'ckpt.pth'
    torch.save(dict(message_hub=hub.state_dict(), meta=dict(seed=np.int64(3)),
                    state_dict=dict(w=torch.ones(2))), path)

    loaded = load_local_checkpoint(str(path))
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    np.testing.assert_array_equal(buffer.data[0], [1.0, 2.0, 4.0])
    assert buffer.mean() == pytest.approx(7.0 / 3.0)
    assert loaded['meta']['seed'] == 3


class _Evil:
    def __reduce__(self):
        return getattr, (torch.Tensor, 'add_')


def test_getattr_is_restricted_to_history_buffer_statistics(tmp_path):
    path = tmp_path / 'evil.pth'
    torch.save(dict(payload=_Evil()), path)
    with pytest.raises(pickle.UnpicklingError):
        load_local_checkpoint(str(path))


def test_missing_checkpoint_names_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        load_local_checkpoint(str(tmp_path / 'nope.pth'))
